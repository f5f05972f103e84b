package io.bloomj.compute.opencl;

import io.bloomj.compute.device.DeviceMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;
import static io.bloomj.compute.opencl.OpenCl.checkErr;

/**
 * Device memory through one context and its in-order queue. OpenCL cannot say how much memory is
 * free, so what is available is the device's global memory less what bloomj has allocated (on CPU
 * devices that is host memory, which the driver reports as global memory).
 */
final class ClMemory extends DeviceMemory {
    private final ClContext ctx;

    ClMemory(ClContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public String deviceName() {
        return ctx.device.name();
    }

    @Override
    public long availableBytes() {
        return ctx.device.globalMemory() - allocated();
    }

    @Override
    public long maxAllocation() {
        return ctx.device.maxAllocation();
    }

    @Override
    protected long allocateZeroed(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment mem = (MemorySegment) call(ctx.cl.clCreateBuffer, ctx.context, OpenCl.CL_MEM_READ_WRITE, Math.max(bytes, 4),
                    MemorySegment.NULL, err);
            checkErr(err, "clCreateBuffer(" + what + ", " + bytes + " bytes)");
            MemorySegment pattern = a.allocate(ValueLayout.JAVA_FLOAT);
            check((int) call(ctx.cl.clEnqueueFillBuffer, ctx.queue, mem, pattern, 4L, 0L, Math.max(bytes, 4) & ~3L, 0,
                    MemorySegment.NULL, MemorySegment.NULL), "clEnqueueFillBuffer(" + what + ")");
            return mem.address();
        }
    }

    @Override
    protected void release(long address) {
        ctx.release(MemorySegment.ofAddress(address));
    }

    @Override
    protected void copyIn(long dst, long offset, MemorySegment src, long bytes) {
        check(ctx.cl.enqueueWriteBuffer(ctx.queue, MemorySegment.ofAddress(dst), true, offset, bytes, src), "clEnqueueWriteBuffer");
    }

    @Override
    protected void copyOut(long src, long offset, MemorySegment dst, long bytes) {
        check(ctx.cl.enqueueReadBuffer(ctx.queue, MemorySegment.ofAddress(src), true, offset, bytes, dst), "clEnqueueReadBuffer");
    }
}
