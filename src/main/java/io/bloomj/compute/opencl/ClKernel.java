package io.bloomj.compute.opencl;

import io.bloomj.compute.device.KernelArgs;
import io.bloomj.compute.device.KernelSignature;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;
import static io.bloomj.compute.opencl.OpenCl.checkErr;

/**
 * One kernel object, created from a built program and checked against its {@link KernelSignature}:
 * the compiled kernel's argument names and kinds (global buffer, local buffer, int, float, long)
 * must be the declared ones, in order. Each recorded launch owns its kernel object, so arguments
 * set once stay set; {@link #apply} passes those changed since the last launch.
 */
final class ClKernel implements AutoCloseable {
    final KernelSignature signature;
    final MemorySegment handle;
    private final ClContext ctx;

    ClKernel(ClContext ctx, MemorySegment program, KernelSignature signature) {
        this.ctx = ctx;
        this.signature = signature;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            handle = (MemorySegment) call(ctx.cl.clCreateKernel, program, a.allocateFrom(signature.function()), err);
            checkErr(err, "clCreateKernel(" + signature.function() + ")");
        }
        try {
            checkSignature();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The compiled kernel's parameters as "kind name" (built with -cl-kernel-arg-info), or null where the driver keeps no names. */
    List<String> compiledParams() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            check((int) call(ctx.cl.clGetKernelInfo, handle, OpenCl.CL_KERNEL_NUM_ARGS, 4L, n, MemorySegment.NULL), "clGetKernelInfo");
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n.get(ValueLayout.JAVA_INT, 0); i++) {
                MemorySegment q = a.allocate(ValueLayout.JAVA_INT);
                int st = (int) call(ctx.cl.clGetKernelArgInfo, handle, i, OpenCl.CL_KERNEL_ARG_ADDRESS_QUALIFIER, 4L, q, MemorySegment.NULL);
                if (st == OpenCl.CL_KERNEL_ARG_INFO_NOT_AVAILABLE) return null;
                check(st, "clGetKernelArgInfo");
                String name = argString(a, i, OpenCl.CL_KERNEL_ARG_NAME);
                String type = argString(a, i, OpenCl.CL_KERNEL_ARG_TYPE_NAME).trim();
                out.add(kind(q.get(ValueLayout.JAVA_INT, 0), type) + " " + name);
            }
            return out;
        }
    }

    private static String kind(int addressQualifier, String type) {
        if (addressQualifier == OpenCl.CL_KERNEL_ARG_ADDRESS_GLOBAL || addressQualifier == OpenCl.CL_KERNEL_ARG_ADDRESS_CONSTANT) return "buffer";
        if (addressQualifier == OpenCl.CL_KERNEL_ARG_ADDRESS_LOCAL) return "local";
        return switch (type) {
            case "int", "uint" -> "int";
            case "float" -> "float";
            case "long", "ulong" -> "long";
            default -> type;
        };
    }

    private String argString(Arena a, int index, int param) {
        MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
        check((int) call(ctx.cl.clGetKernelArgInfo, handle, index, param, 0L, MemorySegment.NULL, size), "clGetKernelArgInfo");
        MemorySegment buf = a.allocate(size.get(ValueLayout.JAVA_LONG, 0) + 1);
        check((int) call(ctx.cl.clGetKernelArgInfo, handle, index, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetKernelArgInfo");
        return buf.getString(0, StandardCharsets.UTF_8);
    }

    private void checkSignature() {
        List<String> declared = signature.params().stream()
                .map(p -> p.type().name().toLowerCase(java.util.Locale.ROOT) + " " + p.name()).toList();
        List<String> compiled = compiledParams();
        if (compiled == null) return;   // driver without argument info: nothing more to compare
        if (!declared.equals(compiled)) {
            throw new IllegalStateException("kernel " + signature.function() + " takes (" + String.join(", ", compiled)
                    + ") but the host declares (" + String.join(", ", declared) + "): update ClSignatures with the kernel");
        }
    }

    /** Passes the arguments set since the last call to the kernel object. */
    void apply(KernelArgs args) {
        args.drainChanged(i -> {
            KernelSignature.Param p = signature.params().get(i);
            int status = switch (p.type()) {
                case LOCAL -> ctx.cl.setKernelArg(handle, i, args.localBytes(i), MemorySegment.NULL);
                case INT, FLOAT -> ctx.cl.setKernelArg(handle, i, 4, args.slot(i));
                case LONG, BUFFER -> ctx.cl.setKernelArg(handle, i, 8, args.slot(i));
            };
            if (status != OpenCl.CL_SUCCESS) check(status, "clSetKernelArg(" + signature.function() + ", " + p.name() + ")");
        });
    }

    @Override
    public void close() {
        ctx.cl.release(ctx.cl.clReleaseKernel, handle);
    }
}
