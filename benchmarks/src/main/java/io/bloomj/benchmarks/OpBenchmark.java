package io.bloomj.benchmarks;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;
import io.bloomj.tensor.DType;
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
 * Every op of the vocabulary alone, one decode step (one row) at bloomz-3b's shapes, on every
 * backend: the {@code op} parameter is the op's kind, the name its CPU kernel class, its
 * kernels/opencl and kernels/cuda files and its parity test share. {@code bytes}: bytes the op must
 * move per step (weights, activations, the KV cache or the logits it reads and writes), so the
 * rate compares with BandwidthBenchmark's roofline; {@code flops} where the op computes.
 * KernelBenchmark and AttentionBenchmark cover the big shapes of matmul, lm_head and attention.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class OpBenchmark {
    static final int HIDDEN = 2560, HEADS = 32, HEAD_DIM = 80, VOCAB = 250880, CONTEXT = 512;

    @Param({"cpu", "opencl"})
    public String backend;

    @Param({"embedding", "layer_norm", "matmul", "gelu", "add", "kv_store", "alibi_attention", "lm_head", "argmax", "sample"})
    public String op;

    @Param({"0"})
    public int threads;

    private Arena arena;
    private Backend be;
    private ExecutionPlan plan;
    private Step step;
    private long bytes;
    private long flops;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        be = Backends.open(backend, threads);
        Buffer x = new Buffer("x", 1, HIDDEN), y = new Buffer("y", 1, HIDDEN);
        step = new Step(new int[] {7}, CONTEXT - 1, 1);
        Graph g;
        switch (op) {
            case "embedding" -> {
                Weight table = RandomWeights.matrix(arena, "embedding", DType.BF16, VOCAB, HIDDEN, 1);
                g = graph(new Op.Embedding(table, y), y);
                bytes = HIDDEN * (2L + 4);
            }
            case "layer_norm" -> {
                g = graph(new Op.LayerNorm(x, RandomWeights.vector(arena, "gamma", HIDDEN, 1f), RandomWeights.vector(arena, "beta", HIDDEN, 0f),
                        1e-5f, y), y);
                bytes = HIDDEN * 4L * 4;
                flops = 8L * HIDDEN;
            }
            case "matmul" -> {
                Weight w = RandomWeights.matrix(arena, "dense", DType.BF16, HIDDEN, HIDDEN, 2);
                g = graph(new Op.Matmul(x, w, RandomWeights.vector(arena, "bias", HIDDEN, 0.01f), y), y);
                bytes = w.byteSize();
                flops = 2L * HIDDEN * HIDDEN;
            }
            case "gelu" -> {
                Buffer h = new Buffer("h", 1, 4 * HIDDEN);
                g = graph(new Op.Gelu(h, h), h);
                bytes = 2L * h.elements() * 4;
                flops = 8L * h.elements();
            }
            case "add" -> {
                g = graph(new Op.Add(x, y, y), y);
                bytes = 3L * HIDDEN * 4;
                flops = HIDDEN;
            }
            case "kv_store", "alibi_attention" -> {
                Buffer qkv = new Buffer("qkv", 1, 3 * HIDDEN), q = new Buffer("q", 1, HIDDEN);
                Buffer k = new Buffer("k_cache", HIDDEN, CONTEXT), v = new Buffer("v_cache", HEADS * CONTEXT, HEAD_DIM);
                float[] slopes = new float[HEADS];
                for (int h = 0; h < HEADS; h++) slopes[h] = (float) Math.pow(2, -8.0 * (h + 1) / HEADS);
                if (op.equals("kv_store")) {
                    g = new Graph(List.of(new Op.KvStore(qkv, HEADS, HEAD_DIM, q, k, v)), 1, q, null, Set.of(k, v));
                    bytes = 2L * 3 * HIDDEN * 4;
                } else {
                    g = new Graph(List.of(new Op.AlibiAttention(q, k, v, HEADS, HEAD_DIM, slopes, (float) (1 / Math.sqrt(HEAD_DIM)), y)),
                            1, y, null, Set.of(k, v));
                    bytes = 2L * HIDDEN * CONTEXT * 4;
                    flops = 4L * HIDDEN * CONTEXT;
                }
            }
            case "lm_head" -> {
                Weight table = RandomWeights.matrix(arena, "embedding", DType.BF16, VOCAB, HIDDEN, 3);
                Buffer logits = new Buffer("logits", 1, VOCAB);
                g = graph(new Op.LmHead(x, table, logits), logits);
                bytes = table.byteSize();
                flops = 2L * VOCAB * HIDDEN;
            }
            case "argmax", "sample" -> {
                Buffer logits = new Buffer("logits", 1, VOCAB), token = new Buffer("token", 1, 1);
                if (op.equals("argmax")) {
                    g = new Graph(List.of(new Op.Argmax(logits, token)), 1, logits, token, Set.of());
                } else {
                    Buffer seen = new Buffer("seen", 1, VOCAB);
                    g = new Graph(List.of(new Op.Sample(logits, token, seen)), 1, logits, null, Set.of(seen));
                    // transformers' usual chat settings: the top-k and top-p thresholds are searched every step
                    step = new Step(new int[] {7}, CONTEXT - 1, 1, new SamplingParams(0.7f, 50, 0.9f, 0f, 1.1f, 42, 0));
                }
                bytes = VOCAB * 4L;
            }
            default -> throw new IllegalArgumentException("unknown op " + op);
        }
        plan = be.plan(g);
        for (Buffer b : g.buffers()) {
            if (b.elements() < (1 << 26)) plan.write(b, b.rows(), RandomWeights.gaussian((int) b.elements(), b.name().hashCode()));
        }
        if (op.equals("sample")) plan.write(g.buffers().get(2), 1, new float[VOCAB]);   // nothing seen yet
    }

    private static Graph graph(Op op, Buffer out) {
        return new Graph(List.of(op), 1, out, null, Set.of());
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
