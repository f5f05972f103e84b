package io.bloomj.tornado;

import io.bloomj.BloomjException;
import io.bloomj.compute.MemoryProbe;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The device copy bandwidth through TornadoVM: a kernel copying one resident buffer into another. */
final class TornadoCopyProbe {
    private TornadoCopyProbe() {}

    public static void copy(KernelContext ctx, FloatArray a, FloatArray b, int n) {
        int i = ctx.globalIdx;
        if (i < n) b.set(i, a.get(i));
    }

    static MemoryProbe open(long bytes) {
        int n = (int) Math.min(Integer.MAX_VALUE - 64, bytes / Float.BYTES);
        FloatArray a = new FloatArray(n), b = new FloatArray(n);
        TaskGraph g = new TaskGraph("bloomj_probe").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("copy", TornadoCopyProbe::copy, new KernelContext(), a, b, n);
        GridScheduler grid = new GridScheduler();
        grid.addWorkerGrid("bloomj_probe.copy", new WorkerGrid1D(n));
        TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot());
        plan.withGridScheduler(grid);
        return MemoryProbe.deviceCopy((long) n * Float.BYTES, plan::execute, () -> {
            try {
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new BloomjException("TornadoVM could not release the probe's buffers", e);
            }
        });
    }
}
