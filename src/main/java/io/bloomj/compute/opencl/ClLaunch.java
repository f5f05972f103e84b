package io.bloomj.compute.opencl;

import io.bloomj.compute.Step;
import io.bloomj.compute.device.DeviceLaunch;
import io.bloomj.compute.device.KernelArgs;
import io.bloomj.compute.device.Launch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.opencl.OpenCl.check;

/**
 * One recorded clEnqueueNDRangeKernel: a kernel object with its arguments, the global size for a
 * step (in work-items, rounded up to the local size) and the local size (null: the driver picks).
 */
final class ClLaunch extends DeviceLaunch {
    /** Global work size of a step. */
    @FunctionalInterface
    interface Global {
        long[] of(Step s);
    }

    private final ClContext ctx;
    private final ClKernel kernel;
    private final Global global;
    private final long[] local;
    private final MemorySegment sizes;
    private final MemorySegment event;

    ClLaunch(Launch source, ClContext ctx, ClKernel kernel, KernelArgs args, PerStep perStep, Global global, long[] local,
             long weightBytes, Arena arena) {
        super(source, args, perStep, weightBytes);
        this.ctx = ctx;
        this.kernel = kernel;
        this.global = global;
        this.local = local;
        this.sizes = arena.allocate(ValueLayout.JAVA_LONG, 6);
        this.event = arena.allocate(ValueLayout.ADDRESS);
    }

    @Override
    protected Timing enqueue(Step step, boolean timed) {
        kernel.apply(args);
        long[] g = global.of(step);
        for (int d = 0; d < g.length; d++) {
            long size = local == null ? g[d] : (g[d] + local[d] - 1) / local[d] * local[d];
            sizes.setAtIndex(ValueLayout.JAVA_LONG, d, size);
            if (local != null) sizes.setAtIndex(ValueLayout.JAVA_LONG, 3 + d, local[d]);
        }
        int status = ctx.cl.enqueueNDRangeKernel(ctx.queue, kernel.handle, g.length, sizes,
                local == null ? MemorySegment.NULL : sizes.asSlice(24), timed ? event : MemorySegment.NULL);
        if (status != OpenCl.CL_SUCCESS) check(status, "clEnqueueNDRangeKernel(" + function() + ")");
        if (!timed) return null;
        MemorySegment ev = event.get(ValueLayout.ADDRESS, 0);
        return () -> elapsed(ev);
    }

    private long elapsed(MemorySegment ev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(ValueLayout.JAVA_LONG);
            check((int) OpenCl.call(ctx.cl.clGetEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_START, 8L, t, MemorySegment.NULL),
                    "clGetEventProfilingInfo");
            long start = t.get(ValueLayout.JAVA_LONG, 0);
            check((int) OpenCl.call(ctx.cl.clGetEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_END, 8L, t, MemorySegment.NULL),
                    "clGetEventProfilingInfo");
            return t.get(ValueLayout.JAVA_LONG, 0) - start;
        } finally {
            ctx.cl.release(ctx.cl.clReleaseEvent, ev);
        }
    }

    @Override
    public void close() {
        kernel.close();
    }
}
