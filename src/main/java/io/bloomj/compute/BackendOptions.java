package io.bloomj.compute;

import io.bloomj.tensor.ProgressListener;

/**
 * What opening a backend may be told; each backend reads what applies to it.
 *
 * @param device   device number within the backend (see {@link BackendProvider#devices()})
 * @param threads  worker threads (the CPU backend)
 * @param matmul   how prompt rows' matmuls are computed (the CPU backend; others run {@link MatmulMode#EXACT})
 * @param progress receives long work such as weight upload to a device
 */
public record BackendOptions(int device, int threads, MatmulMode matmul, ProgressListener progress) {
    public BackendOptions {
        if (device < 0) throw new IllegalArgumentException("device number must be >= 0, got " + device);
        Backends.checkThreads(threads);
        if (matmul == null) matmul = MatmulMode.EXACT;
        if (progress == null) progress = ProgressListener.NONE;
    }

    /** Device 0, every core, exact matmuls, no progress reports. */
    public static BackendOptions defaults() {
        return new BackendOptions(0, Backends.defaultThreads(), MatmulMode.EXACT, ProgressListener.NONE);
    }
}
