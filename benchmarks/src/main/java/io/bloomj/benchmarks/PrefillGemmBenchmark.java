package io.bloomj.benchmarks;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.tensor.DType;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.Step;
import io.bloomj.tensor.Weight;
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

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Prefill GEMM: 512 tokens through the QKV projection of bloomz-3b (512 x 2560 x 7680). {@code flops}: FLOP/s. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PrefillGemmBenchmark {
    @Param({"cpu", "cpu-inplace", "opencl"})
    public String backend;

    @Param({"512x2560x7680"})
    public String shape;

    @Param({"bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private Arena arena;
    private Backend be;
    private ExecutionPlan plan;
    private Step step;
    private long flops;
    private long bytes;

    @Setup(Level.Trial)
    public void setup() {
        String[] d = shape.split("x");
        int rows = Integer.parseInt(d[0]), in = Integer.parseInt(d[1]), out = Integer.parseInt(d[2]);
        arena = Arena.ofShared();
        be = Backends.open(backend, threads);
        Weight w = RandomWeights.matrix(arena, "qkv", DType.fromCli(dtype), out, in, 2);
        Weight bias = RandomWeights.vector(arena, "bias", out, 0f);
        Buffer x = new Buffer("x", rows, in), y = new Buffer("y", rows, out);
        plan = be.plan(new Graph(List.of(new Op.Matmul(x, w, bias, y)), rows, y, null, Set.of()));
        plan.write(x, rows, RandomWeights.gaussian(rows * in, 1));
        step = new Step(new int[rows], 0, 1);
        flops = 2L * rows * in * out;
        bytes = w.byteSize();
    }

    @Benchmark
    public void gemm(Counters c) {
        plan.execute(step);
        plan.synchronize();
        c.flops += flops;
        c.bytes += bytes;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plan.close();
        be.close();
        arena.close();
    }
}
