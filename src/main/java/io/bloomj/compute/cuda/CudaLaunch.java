package io.bloomj.compute.cuda;

import io.bloomj.compute.Step;
import io.bloomj.compute.device.DeviceLaunch;
import io.bloomj.compute.device.KernelArgs;
import io.bloomj.compute.device.Launch;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.cuda.Cuda.call;

/** One recorded cuLaunchKernel: the function, the grid for a step, the block, dynamic shared memory. */
final class CudaLaunch extends DeviceLaunch {
    /** Grid (blocks in x, y, z) of a step. */
    @FunctionalInterface
    interface Grid {
        int[] of(Step s);
    }

    private final CudaBackend backend;
    private final MemorySegment function;
    private final Grid grid;
    private final int[] block;
    private final int sharedBytes;

    CudaLaunch(Launch source, CudaBackend backend, MemorySegment function, KernelArgs args, PerStep perStep, Grid grid, int[] block,
               int sharedBytes, long weightBytes) {
        super(source, args, perStep, weightBytes);
        this.backend = backend;
        this.function = function;
        this.grid = grid;
        this.block = block;
        this.sharedBytes = sharedBytes;
    }

    @Override
    protected Timing enqueue(Step step, boolean timed) {
        Cuda cu = backend.cu;
        MemorySegment start = null, end = null;
        if (timed) {
            start = event();
            end = event();
            cu.check((int) call(cu.cuEventRecord, start, backend.stream), "cuEventRecord");
        }
        int[] g = grid.of(step);
        int status = cu.launch(function, g[0], g[1], g[2], block[0], block[1], block[2], sharedBytes, backend.stream, args.pointers());
        if (status != 0) cu.check(status, "cuLaunchKernel(" + function() + ")");
        if (!timed) return null;
        cu.check((int) call(cu.cuEventRecord, end, backend.stream), "cuEventRecord");
        MemorySegment s = start, e = end;
        return () -> {
            try {
                cu.check((int) call(cu.cuEventSynchronize, e), "cuEventSynchronize");
                return (long) (Cuda.elapsedMs(cu, s, e) * 1e6);
            } finally {
                call(cu.cuEventDestroy, s);
                call(cu.cuEventDestroy, e);
            }
        };
    }

    private MemorySegment event() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ValueLayout.ADDRESS);
            backend.cu.check((int) call(backend.cu.cuEventCreate, e, 0), "cuEventCreate");
            return e.get(ValueLayout.ADDRESS, 0);
        }
    }
}
