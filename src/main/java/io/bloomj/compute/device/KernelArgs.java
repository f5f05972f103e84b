package io.bloomj.compute.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The argument values of one recorded launch, set by parameter name and type-checked against its
 * {@link KernelSignature}. Values live in native 8-byte slots (with an array of slot addresses, the
 * form {@code cuLaunchKernel} takes); a backend that sets arguments one by one ({@code clSetKernelArg})
 * reads the slots of the parameters changed since it last looked ({@link #drainChanged}).
 */
public final class KernelArgs {
    private final KernelSignature signature;
    private final MemorySegment slots;
    private final MemorySegment pointers;
    private final long[] localBytes;
    private final boolean[] set;
    private final boolean[] changed;
    private boolean anyChanged;

    public KernelArgs(KernelSignature signature, Arena arena) {
        this.signature = signature;
        int n = signature.size();
        slots = arena.allocate(8L * Math.max(1, n), 8);
        pointers = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
        for (int i = 0; i < n; i++) pointers.setAtIndex(ValueLayout.ADDRESS, i, slots.asSlice(8L * i, 8));
        localBytes = new long[n];
        set = new boolean[n];
        changed = new boolean[n];
    }

    public KernelSignature signature() {
        return signature;
    }

    public KernelArgs buffer(String name, DeviceBuffer b) {
        return buffer(signature.param(name), b);
    }

    public KernelArgs buffer(KernelSignature.Param p, DeviceBuffer b) {
        check(p, KernelSignature.Type.BUFFER);
        slots.set(ValueLayout.JAVA_LONG, 8L * p.index(), b.address());
        return mark(p);
    }

    public KernelArgs i32(String name, int v) {
        return i32(signature.param(name), v);
    }

    public KernelArgs i32(KernelSignature.Param p, int v) {
        check(p, KernelSignature.Type.INT);
        slots.set(ValueLayout.JAVA_LONG, 8L * p.index(), 0L);
        slots.set(ValueLayout.JAVA_INT, 8L * p.index(), v);
        return mark(p);
    }

    public KernelArgs i64(String name, long v) {
        return i64(signature.param(name), v);
    }

    public KernelArgs i64(KernelSignature.Param p, long v) {
        check(p, KernelSignature.Type.LONG);
        slots.set(ValueLayout.JAVA_LONG, 8L * p.index(), v);
        return mark(p);
    }

    public KernelArgs f32(String name, float v) {
        return f32(signature.param(name), v);
    }

    public KernelArgs f32(KernelSignature.Param p, float v) {
        check(p, KernelSignature.Type.FLOAT);
        slots.set(ValueLayout.JAVA_LONG, 8L * p.index(), 0L);
        slots.set(ValueLayout.JAVA_FLOAT, 8L * p.index(), v);
        return mark(p);
    }

    /** An OpenCL {@code __local} buffer of {@code bytes}. */
    public KernelArgs local(String name, long bytes) {
        KernelSignature.Param p = signature.param(name);
        check(p, KernelSignature.Type.LOCAL);
        localBytes[p.index()] = bytes;
        return mark(p);
    }

    private void check(KernelSignature.Param p, KernelSignature.Type type) {
        if (signature.params().get(p.index()) != p) {
            throw new IllegalArgumentException(p + " is not a parameter of kernel " + signature.function());
        }
        if (p.type() != type) {
            throw new IllegalArgumentException("kernel " + signature.function() + " parameter '" + p.name() + "' is a " + p.type()
                    + ", not a " + type);
        }
    }

    private KernelArgs mark(KernelSignature.Param p) {
        set[p.index()] = true;
        changed[p.index()] = true;
        anyChanged = true;
        return this;
    }

    /** Throws naming every parameter no value was given for (checked when a launch is recorded). */
    public void requireComplete() {
        List<String> missing = new ArrayList<>();
        for (KernelSignature.Param p : signature.params()) if (!set[p.index()]) missing.add(p.name());
        if (!missing.isEmpty()) throw new IllegalStateException("kernel " + signature.function() + ": no value for " + missing);
    }

    /** The 8-byte slot of parameter {@code index} (its value in the low bytes). */
    public MemorySegment slot(int index) {
        return slots.asSlice(8L * index, 8);
    }

    /** The array of slot addresses ({@code void** kernelParams} of cuLaunchKernel). */
    public MemorySegment pointers() {
        return pointers;
    }

    public long localBytes(int index) {
        return localBytes[index];
    }

    /** Hands each parameter set since the last call to {@code apply} (by index), then forgets them. */
    public void drainChanged(java.util.function.IntConsumer apply) {
        if (!anyChanged) return;
        for (int i = 0; i < changed.length; i++) {
            if (changed[i]) {
                changed[i] = false;
                apply.accept(i);
            }
        }
        anyChanged = false;
    }
}
