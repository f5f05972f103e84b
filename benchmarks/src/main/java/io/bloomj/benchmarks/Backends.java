package io.bloomj.benchmarks;

import io.bloomj.api.Bloom;
import io.bloomj.api.LoadOptions;
import io.bloomj.compute.Backend;
import io.bloomj.tensor.ProgressListener;

/**
 * Opens the backend a benchmark's {@code backend} parameter names ({@link Bloom#backends()}: cpu,
 * opencl, cuda; and {@code cpu-inplace}, the CPU backend reading bf16 matrices where they are mapped
 * instead of its panels, to compare the two), on device {@code -Dbloomj.device=N}; one that cannot
 * run here fails that run with the reason.
 */
final class Backends {
    private Backends() {}

    static Backend open(String name, int threads) {
        int t = threads > 0 ? threads : io.bloomj.compute.Backends.defaultThreads();
        if (name.equals("cpu-inplace")) return io.bloomj.compute.cpu.CpuBackend.inPlace(t);
        LoadOptions options = LoadOptions.defaults()
                .withBackend(name)
                .withThreads(threads > 0 ? threads : io.bloomj.compute.Backends.defaultThreads())
                .withDevice(Integer.getInteger("bloomj.device", 0));
        return Bloom.openBackend(options, ProgressListener.NONE);
    }
}
