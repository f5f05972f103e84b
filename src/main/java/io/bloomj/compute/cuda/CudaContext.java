package io.bloomj.compute.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.cuda.Cuda.call;

/** The device's primary context and one non-blocking stream that every launch and copy of bloomj uses. */
final class CudaContext implements AutoCloseable {
    final Cuda cu;
    final CudaDevice device;
    final MemorySegment context;
    final MemorySegment stream;
    private final Arena arena = Arena.ofShared();

    CudaContext(Cuda cu, CudaDevice device) {
        this.cu = cu;
        this.device = device;
        MemorySegment dev = arena.allocate(ValueLayout.JAVA_INT);
        cu.check((int) call(cu.cuDeviceGet, dev, device.index()), "cuDeviceGet");
        MemorySegment ctx = arena.allocate(ValueLayout.ADDRESS);
        cu.check((int) call(cu.cuDevicePrimaryCtxRetain, ctx, dev.get(ValueLayout.JAVA_INT, 0)), "cuDevicePrimaryCtxRetain");
        context = ctx.get(ValueLayout.ADDRESS, 0);
        makeCurrent();
        MemorySegment s = arena.allocate(ValueLayout.ADDRESS);
        cu.check((int) call(cu.cuStreamCreate, s, Cuda.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        stream = s.get(ValueLayout.ADDRESS, 0);
    }

    /** CUDA contexts are current per thread: every entry point makes ours current first. */
    void makeCurrent() {
        cu.check((int) call(cu.cuCtxSetCurrent, context), "cuCtxSetCurrent");
    }

    /** Waits for everything queued on the stream. */
    void synchronize() {
        makeCurrent();
        cu.check((int) call(cu.cuStreamSynchronize, stream), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        makeCurrent();
        call(cu.cuCtxSynchronize);
        call(cu.cuStreamDestroy, stream);
        MemorySegment dev = arena.allocate(ValueLayout.JAVA_INT);
        call(cu.cuDeviceGet, dev, device.index());
        call(cu.cuDevicePrimaryCtxRelease, dev.get(ValueLayout.JAVA_INT, 0));
        arena.close();
    }
}
