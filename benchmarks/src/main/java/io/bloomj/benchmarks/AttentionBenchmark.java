package io.bloomj.benchmarks;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.Step;
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

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Decode attention of one new token over a filled KV cache, bloomz-3b's 32 heads of 80, at context
 * 128, 512 and 2048. {@code bytes}: KV-cache bytes read per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AttentionBenchmark {
    static final int HEADS = 32, HEAD_DIM = 80;

    @Param({"cpu", "opencl"})
    public String backend;

    @Param({"128", "512", "2048"})
    public int context;

    @Param({"0"})
    public int threads;

    private Backend be;
    private ExecutionPlan plan;
    private Step step;

    @Setup(Level.Trial)
    public void setup() {
        be = Backends.open(backend, threads);
        int width = HEADS * HEAD_DIM;
        Buffer q = new Buffer("q", 1, width), out = new Buffer("out", 1, width);
        Buffer k = new Buffer("k_cache", HEADS * HEAD_DIM, context), v = new Buffer("v_cache", HEADS * context, HEAD_DIM);
        float[] slopes = new float[HEADS];
        for (int h = 0; h < HEADS; h++) slopes[h] = (float) Math.pow(2, -8.0 * (h + 1) / HEADS);
        Graph g = new Graph(List.of(new Op.AlibiAttention(q, k, v, HEADS, HEAD_DIM, slopes, (float) (1 / Math.sqrt(HEAD_DIM)), out)),
                1, out, null, Set.of(k, v));
        plan = be.plan(g);
        plan.write(q, 1, RandomWeights.gaussian(width, 1));
        plan.write(k, k.rows(), RandomWeights.gaussian((int) k.elements(), 2));
        plan.write(v, v.rows(), RandomWeights.gaussian((int) v.elements(), 3));
        step = new Step(new int[] {0}, context - 1, 1);
    }


    @Benchmark
    public void decode(Counters c) {
        plan.execute(step);
        plan.synchronize();
        c.bytes += 2L * HEADS * HEAD_DIM * context * Float.BYTES;
        c.flops += 4L * HEADS * HEAD_DIM * context;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plan.close();
        be.close();
    }
}
