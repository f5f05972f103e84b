package io.bloomj.benchmarks;

import io.bloomj.compute.Backend;
import io.bloomj.compute.MemoryProbe;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The roofline: memory bandwidth per backend (host read on the CPU, device-to-device copy on
 * OpenCL). {@code bytes} is the rate every other benchmark's {@code bytes} is compared with.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BandwidthBenchmark {
    @Param({"cpu", "opencl"})
    public String backend;

    @Param({"1024"})
    public int mib;

    @Param({"0"})
    public int threads;

    private Backend be;
    private MemoryProbe probe;

    @Setup(Level.Trial)
    public void setup() {
        be = Backends.open(backend, threads);
        probe = be.memoryProbe((long) mib << 20);
    }

    @Benchmark
    public void stream(Counters c) {
        c.bytes += probe.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        probe.close();
        be.close();
    }
}
