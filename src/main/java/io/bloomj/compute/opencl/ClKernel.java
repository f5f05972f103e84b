package io.bloomj.compute.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;
import static io.bloomj.compute.opencl.OpenCl.checkErr;

/**
 * One kernel object with its arguments bound by name-checked position. Each launch of the recorded
 * step owns its kernel object, so static arguments are set once and only the position or row
 * count is re-set per step. Arguments are written through a small native scratch segment.
 */
final class ClKernel implements AutoCloseable {
    final String name;
    private final ClContext ctx;
    final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scratch = arena.allocate(8, 8);

    ClKernel(ClContext ctx, MemorySegment program, String name) {
        this.ctx = ctx;
        this.name = name;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            handle = (MemorySegment) call(ctx.cl.clCreateKernel, program, a.allocateFrom(name), err);
            checkErr(err, "clCreateKernel(" + name + ")");
        }
    }

    ClKernel mem(int index, MemorySegment mem) {
        scratch.set(ValueLayout.ADDRESS, 0, mem);
        return set(index, 8, "buffer");
    }

    ClKernel i32(int index, int value) {
        scratch.set(ValueLayout.JAVA_INT, 0, value);
        return set(index, 4, "int " + value);
    }

    ClKernel u64(int index, long value) {
        scratch.set(ValueLayout.JAVA_LONG, 0, value);
        return set(index, 8, "ulong " + value);
    }

    ClKernel f32(int index, float value) {
        scratch.set(ValueLayout.JAVA_FLOAT, 0, value);
        return set(index, 4, "float " + value);
    }

    /** A {@code __local} argument of {@code bytes} bytes. */
    ClKernel local(int index, long bytes) {
        check(ctx.cl.setKernelArg(handle, index, bytes, MemorySegment.NULL), "clSetKernelArg(" + name + ", " + index + ", local)");
        return this;
    }

    private ClKernel set(int index, long size, String what) {
        int status = ctx.cl.setKernelArg(handle, index, size, scratch);
        if (status != OpenCl.CL_SUCCESS) check(status, "clSetKernelArg(" + name + ", " + index + ", " + what + ")");
        return this;
    }

    @Override
    public void close() {
        ctx.cl.release(ctx.cl.clReleaseKernel, handle);
        arena.close();
    }
}
