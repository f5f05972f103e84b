package io.bloomj.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary metrics reported next to each result. The benchmarks run in throughput mode (steps/s;
 * the time per step is its inverse, which {@code bloomj report} shows), so JMH reports these
 * per-invocation counts as rates: {@code bytes} is bytes/s of weights (or KV cache) streamed, to
 * compare with BandwidthBenchmark's, and {@code flops} is FLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Counters {
    public long bytes;
    public long flops;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
    }
}
