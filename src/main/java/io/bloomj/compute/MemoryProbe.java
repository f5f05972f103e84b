package io.bloomj.compute;

/**
 * A reusable memory-bandwidth measurement on one backend: {@link #run()} streams its buffer once and
 * says how many bytes moved. {@link Backend#measureBandwidth} times it; JMH benchmarks call it directly.
 */
public interface MemoryProbe extends AutoCloseable {
    /** What is measured: "host read, 2 thread(s)", "device copy (read + write)". */
    String kind();

    /** Size of the buffer streamed by one run. */
    long bytes();

    /** Streams the buffer once (blocking until done); returns the bytes moved (read + written). */
    long run();

    @Override
    void close();

    /**
     * A device-to-device copy probe over two buffers of {@code size} bytes: {@code copy} copies one
     * into the other and waits; {@code release} frees both. Each run reads and writes {@code size}.
     */
    static MemoryProbe deviceCopy(long size, Runnable copy, Runnable release) {
        return new MemoryProbe() {
            @Override
            public String kind() {
                return "device copy (read + write)";
            }

            @Override
            public long bytes() {
                return size;
            }

            @Override
            public long run() {
                copy.run();
                return 2 * size;
            }

            @Override
            public void close() {
                release.run();
            }
        };
    }

    /** Times {@code repetitions} runs after two warm-up runs. */
    static Bandwidth measure(MemoryProbe probe, int repetitions) {
        probe.run();
        probe.run();
        double[] rates = new double[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long t0 = System.nanoTime();
            long moved = probe.run();
            rates[r] = moved / ((System.nanoTime() - t0) / 1e9);
        }
        return new Bandwidth(probe.kind(), probe.bytes(), rates);
    }
}
