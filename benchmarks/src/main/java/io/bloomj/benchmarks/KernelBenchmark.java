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

/**
 * The decode-step kernels at bloomz-3b's real shapes, one op graph each, on every backend:
 * GEMV for QKV (2560 -> 7680), attention output (2560 -> 2560), MLP up (2560 -> 10240) and down
 * (10240 -> 2560); the LM head (2560 -> 250880) fused with argmax; LayerNorm over 2560. Secondary
 * metrics: {@code bytes} (weight bytes/s: compare with BandwidthBenchmark) and {@code flops}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {
    @Param({"cpu", "cpu-inplace", "opencl"})
    public String backend;

    @Param({"qkv_2560x7680", "dense_2560x2560", "up_2560x10240", "down_10240x2560", "lm_head_2560x250880", "layer_norm_2560"})
    public String shape;

    @Param({"bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private Arena arena;
    private Backend be;
    private ExecutionPlan plan;
    private final Step step = new Step(new int[] {0}, 0, 1);
    private long bytes;
    private long flops;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        be = Backends.open(backend, threads);
        DType type = DType.fromCli(dtype);
        String[] dims = shape.substring(shape.lastIndexOf('_') + 1).split("x");
        int in = Integer.parseInt(dims[0]);
        Buffer x = new Buffer("x", 1, in);
        Graph g;
        if (shape.startsWith("layer_norm")) {
            Buffer y = new Buffer("y", 1, in);
            Weight gamma = RandomWeights.vector(arena, "gamma", in, 1f), beta = RandomWeights.vector(arena, "beta", in, 0f);
            g = new Graph(List.of(new Op.LayerNorm(x, gamma, beta, 1e-5f, y)), 1, y, null, Set.of());
            bytes = 2L * in * 4 + gamma.byteSize() + beta.byteSize();
            flops = 8L * in;
        } else {
            int out = Integer.parseInt(dims[1]);
            Weight w = RandomWeights.matrix(arena, shape, type, out, in, 1);
            Buffer y = new Buffer("y", 1, out);
            if (shape.startsWith("lm_head")) {
                Buffer token = new Buffer("token", 1, 1);
                g = new Graph(List.of(new Op.LmHead(x, w, y), new Op.Argmax(y, token)), 1, y, token, Set.of());
            } else {
                Weight bias = RandomWeights.vector(arena, "bias", out, 0.01f);
                g = new Graph(List.of(new Op.Matmul(x, w, bias, y)), 1, y, null, Set.of());
            }
            bytes = w.byteSize();
            flops = 2L * in * out;
        }
        plan = be.plan(g);
        plan.write(x, 1, RandomWeights.gaussian(in, 1));
    }

    @Benchmark
    public void step(Counters c) {
        plan.execute(step);
        plan.synchronize();
        c.bytes += bytes;
        c.flops += flops;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plan.close();
        be.close();
        arena.close();
    }
}
