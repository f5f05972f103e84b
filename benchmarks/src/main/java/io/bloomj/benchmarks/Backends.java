package io.bloomj.benchmarks;

import io.bloomj.compute.Backend;
import io.bloomj.compute.ProgressListener;
import io.bloomj.compute.cpu.CpuBackend;
import io.bloomj.compute.opencl.KernelStyle;
import io.bloomj.compute.opencl.OpenClBackend;

/** Opens the backend a benchmark's {@code backend} parameter names; a missing one fails that run with the reason. */
final class Backends {
    private Backends() {}

    static Backend open(String name, int threads) {
        return switch (name) {
            case "cpu" -> new CpuBackend(threads > 0 ? threads : CpuBackend.defaultThreads());
            case "opencl" -> {
                String why = OpenClBackend.unavailableReason();
                if (why != null) throw new IllegalStateException("backend opencl unavailable here: " + why);
                yield OpenClBackend.open(Integer.getInteger("bloomj.device", 0), KernelStyle.AUTO, ProgressListener.NONE);
            }
            default -> throw new IllegalArgumentException("unknown backend " + name + " (cpu, opencl)");
        };
    }
}
