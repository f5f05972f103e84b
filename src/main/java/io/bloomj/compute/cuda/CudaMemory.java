package io.bloomj.compute.cuda;

import io.bloomj.compute.device.DeviceMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.cuda.Cuda.call;

/** GPU memory through the driver API (cuMemAlloc, cuMemcpy); what is available is what cuMemGetInfo reports free. */
final class CudaMemory extends DeviceMemory {
    private final CudaContext backend;

    CudaMemory(CudaContext context) {
        this.backend = context;
    }

    @Override
    public String deviceName() {
        return backend.device.name();
    }

    @Override
    public long availableBytes() {
        backend.makeCurrent();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG), total = a.allocate(ValueLayout.JAVA_LONG);
            backend.cu.check((int) call(backend.cu.cuMemGetInfo, free, total), "cuMemGetInfo");
            return free.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    /** The driver accepts any single allocation that fits. */
    @Override
    public long maxAllocation() {
        return backend.device.totalMemory();
    }

    @Override
    protected long allocateZeroed(long bytes, String what) {
        backend.makeCurrent();
        Cuda cu = backend.cu;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            cu.check((int) call(cu.cuMemAlloc, p, Math.max(bytes, 16)), "cuMemAlloc(" + what + ", " + bytes + " bytes)");
            long ptr = p.get(ValueLayout.JAVA_LONG, 0);
            cu.check((int) call(cu.cuMemsetD8, ptr, (byte) 0, Math.max(bytes, 16)), "cuMemsetD8(" + what + ")");
            return ptr;
        }
    }

    @Override
    protected void release(long address) {
        backend.makeCurrent();
        backend.cu.check((int) call(backend.cu.cuMemFree, address), "cuMemFree");
    }

    /** Synchronous copies: the stream is drained first, so a copy never overtakes the kernels queued before it. */
    @Override
    protected void copyIn(long dst, long offset, MemorySegment src, long bytes) {
        backend.synchronize();
        backend.cu.check((int) call(backend.cu.cuMemcpyHtoD, dst + offset, src, bytes), "cuMemcpyHtoD");
    }

    @Override
    protected void copyOut(long src, long offset, MemorySegment dst, long bytes) {
        backend.synchronize();
        backend.cu.check((int) call(backend.cu.cuMemcpyDtoH, dst, src + offset, bytes), "cuMemcpyDtoH");
    }
}
