package io.bloomj.tornado;

import io.bloomj.compute.Backend;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.Backends;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;
import io.bloomj.compute.StepResult;
import io.bloomj.tensor.DType;
import io.bloomj.testing.TestWeights.TestWeight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.bloomj.testing.TestWeights.activations;
import static io.bloomj.testing.TestWeights.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every TornadoVM kernel against a naive double reference at odd sizes, one step per plan (inputs
 * written before it), with profiling on: each step must report device kernel time, so a kernel that
 * silently fell back to Java (TornadoVM's bailout, disabled here) fails.
 */
class TornadoKernelsTest {
    private static Backend backend;

    @BeforeAll
    static void open() {
        backend = Backends.open("tornado", BackendOptions.defaults());
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** Runs one profiled step; asserts device kernel time was measured. */
    static void step(ExecutionPlan plan, Step s, String what) {
        plan.setProfiling(true);
        StepResult r = plan.execute(s);
        assertTrue(r.profile().totalNanos() > 0, what + ": no device kernel time (did TornadoVM run it as Java?)");
        for (var e : r.profile().entries()) assertTrue(e.nanos() > 0, what + ": no device kernel time for " + e.kind());
    }

    static void assertClose(double[] expected, float[] got, double tol, String what) {
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - got[i]);
            assertTrue(err <= tol * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]: expected " + expected[i] + ", got " + got[i]);
        }
    }

    static double gelu(double x) {
        return x * 0.5 * (1 + Math.tanh(0.79788456 * x * (1 + 0.044715 * x * x)));
    }

    /** Runs {@code body} with the decode kernels of one style (cpu: a work-item per row; gpu: a work-group per row). */
    static void withStyle(String style, Runnable body) {
        System.setProperty("bloomj.tornado.style", style);
        try {
            body.run();
        } finally {
            System.clearProperty("bloomj.tornado.style");
        }
    }

    /** GEMV over the decode rows and GEMM over the prompt rows, each epilogue, bf16, f16 and Q8_0, K not a multiple of anything. */
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void matmulEveryEpilogueAndDtype(String style) {
        withStyle(style, () -> matmulEveryEpilogueAndDtype());
    }

    private void matmulEveryEpilogueAndDtype() {
        Random rnd = new Random(1);
        int rows = 5, decode = 2, n = 37, k = 301;
        for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.Q8_0}) {
            for (String epilogue : new String[] {"none", "gelu", "residual"}) {
                TestWeight w = weight(dtype, rnd, 1 / Math.sqrt(k), n, k), b = weight(dtype == DType.Q8_0 ? DType.BF16 : dtype, rnd, 0.5, n);
                Buffer in = new Buffer("x", rows, k), y = new Buffer("y", rows, n), res = new Buffer("res", rows, n), out = new Buffer("out", rows, n);
                List<Op> ops = switch (epilogue) {
                    case "gelu" -> List.of(new Op.Matmul(in, w.weight(), b.weight(), y), new Op.Gelu(y, y));
                    case "residual" -> List.of(new Op.Matmul(in, w.weight(), b.weight(), y), new Op.Add(y, res, out));
                    default -> List.of(new Op.Matmul(in, w.weight(), b.weight(), y));
                };
                Buffer result = epilogue.equals("residual") ? out : y;
                float[] x = activations(rnd, rows * k), r = activations(rnd, rows * n);
                float[] got = new float[rows * n];
                try (ExecutionPlan plan = backend.plan(new Graph(ops, rows, null, null, Set.of()))) {
                    plan.write(in, rows, x);
                    if (epilogue.equals("residual")) plan.write(res, rows, r);
                    // two decode rows of sequences 0 and 1, then a prompt of three rows of sequence 2
                    step(plan, new Step(new int[rows], new int[] {0, 0, 0, 1, 2}, new int[] {0, 1, 2, 2, 2}, decode, new int[] {rows - 1}, new SamplingParams[1], null, 1),
                            dtype + " " + epilogue);
                    plan.read(result, rows, got);
                }
                double[] expected = new double[rows * n];
                for (int i = 0; i < rows; i++) {
                    for (int o = 0; o < n; o++) {
                        double s = b.values()[o];
                        for (int j = 0; j < k; j++) s += w.values()[o * k + j] * x[i * k + j];
                        if (epilogue.equals("gelu")) s = gelu(s);
                        if (epilogue.equals("residual")) s += r[i * n + o];
                        expected[i * n + o] = s;
                    }
                }
                assertClose(expected, got, 1e-4 * Math.sqrt(k), dtype + " " + epilogue);
            }
        }
    }

    /** A plan that cannot fit is refused with bloomj's "needs X, has Y" before anything is allocated. */
    @Test
    void aBufferLargerThanTheLargestAllocationIsRefusedUpFront() {
        Buffer big = new Buffer("big", 1 << 20, 3000), out = new Buffer("out", 1 << 20, 3000);   // 12.6 GB each
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.bloomj.InsufficientMemoryException.class,
                () -> backend.plan(new Graph(List.of(new Op.Gelu(big, out)), 1 << 20, null, null, Set.of())));
        assertTrue(e.getMessage().contains("needs") && e.getMessage().contains("GB"), e.getMessage());
    }

    /** Embedding, LayerNorm, GELU and add on odd widths. */
    @Test
    void embeddingLayerNormGeluAdd() {
        Random rnd = new Random(2);
        int rows = 3, cols = 83, vocab = 29;
        TestWeight table = weight(DType.BF16, rnd, 1, vocab, cols), gamma = weight(DType.BF16, rnd, 1, cols), beta = weight(DType.BF16, rnd, 1, cols);
        Buffer e = new Buffer("e", rows, cols), ln = new Buffer("ln", rows, cols), g = new Buffer("g", rows, cols), sum = new Buffer("sum", rows, cols);
        List<Op> ops = List.of(new Op.Embedding(table.weight(), e), new Op.LayerNorm(e, gamma.weight(), beta.weight(), 1e-5f, ln),
                new Op.Gelu(ln, g), new Op.Add(g, e, sum));
        int[] tokens = {7, 0, 28};
        float[] got = new float[rows * cols];
        try (ExecutionPlan plan = backend.plan(new Graph(ops, rows, null, null, Set.of()))) {
            step(plan, new Step(tokens, 0, 1), "embedding, layer_norm, gelu, add");
            plan.read(sum, rows, got);
        }
        double[] expected = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int c = 0; c < cols; c++) mean += table.values()[tokens[r] * cols + c];
            mean /= cols;
            for (int c = 0; c < cols; c++) var += Math.pow(table.values()[tokens[r] * cols + c] - mean, 2);
            var /= cols;
            for (int c = 0; c < cols; c++) {
                double v = table.values()[tokens[r] * cols + c];
                double norm = (v - mean) / Math.sqrt(var + 1e-5) * gamma.values()[c] + beta.values()[c];
                expected[r * cols + c] = gelu(norm) + v;
            }
        }
        assertClose(expected, got, 1e-5, "embedding, layer_norm, gelu, add");
    }

    /**
     * kv_store then alibi_attention over a paged pool: two sequences in one step (prompts of 6 and 9
     * rows), blocks of 4 positions scattered by the block table; each row attends to its own
     * sequence's keys only.
     */
    @Test
    void pagedKvStoreAndAttention() {
        Random rnd = new Random(3);
        int heads = 3, hd = 7, bs = 4, blocks = 8, blocksPerSlot = 4, width = heads * hd;
        int[] lens = {6, 9};
        int rows = lens[0] + lens[1];
        float[] slopes = {0.5f, 0.125f, 0.03125f};
        float scale = (float) (1 / Math.sqrt(hd));
        int[] table = {5, 2, 7, 0, 1, 6, 3, 4};
        Buffer qkv = new Buffer("qkv", rows, 3 * width), q = new Buffer("q", rows, width), out = new Buffer("out", rows, width);
        Buffer kc = new Buffer("k_cache", blocks * heads * hd, bs), vc = new Buffer("v_cache", blocks * heads * bs, hd);
        Graph graph = new Graph(List.of(new Op.KvStore(qkv, heads, hd, q, kc, vc), new Op.AlibiAttention(q, kc, vc, heads, hd, slopes, scale, out)),
                rows, out, null, Set.of(kc, vc));
        int[] slots = new int[rows], positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            slots[r] = r < lens[0] ? 0 : 1;
            positions[r] = r < lens[0] ? r : r - lens[0];
        }
        float[] in = activations(rnd, rows * 3 * width), got = new float[rows * width];
        try (ExecutionPlan plan = backend.plan(graph)) {
            plan.write(qkv, rows, in);
            step(plan, new Step(new int[rows], positions, slots, 0, new int[] {rows - 1}, new SamplingParams[1], table, blocksPerSlot),
                    "paged attention");
            plan.read(out, rows, got);
        }
        double[] expected = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            int first = r - positions[r], p = positions[r];
            for (int h = 0; h < heads; h++) {
                double[] sc = new double[p + 1];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j <= p; j++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += in[r * 3 * width + h * 3 * hd + d] * in[(first + j) * 3 * width + h * 3 * hd + hd + d];
                    sc[j] = dot * scale + slopes[h] * j;
                    max = Math.max(max, sc[j]);
                }
                for (int j = 0; j <= p; j++) sum += sc[j] = Math.exp(sc[j] - max);
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j <= p; j++) acc += sc[j] / sum * in[(first + j) * 3 * width + h * 3 * hd + 2 * hd + d];
                    expected[r * width + h * hd + d] = acc;
                }
            }
        }
        assertClose(expected, got, 1e-5, "paged attention");
    }

    /** LM head over chosen rows, its argmax, and draws: greedy and top-k 1 equal the argmax. */
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void lmHeadArgmaxAndSample(String style) {
        withStyle(style, () -> lmHeadArgmaxAndSample());
    }

    private void lmHeadArgmaxAndSample() {
        Random rnd = new Random(4);
        int rows = 4, k = 45, vocab = 101;
        for (DType dtype : new DType[] {DType.BF16, DType.Q8_0}) lmHeadArgmaxAndSample(rnd, rows, k, vocab, weight(dtype, rnd, 1, vocab, k), dtype);
    }

    private void lmHeadArgmaxAndSample(Random rnd, int rows, int k, int vocab, TestWeight table, DType dtype) {
        Buffer in = new Buffer("x", rows, k), logits = new Buffer("logits", 2, vocab), best = new Buffer("best", 2, 1);
        Buffer drawn = new Buffer("drawn", 2, 1), seen = new Buffer("seen", 2, vocab);
        Graph graph = new Graph(List.of(new Op.LmHead(in, table.weight(), logits), new Op.Argmax(logits, best), new Op.Sample(logits, drawn, seen)),
                rows, logits, best, Set.of(seen));
        float[] x = activations(rnd, rows * k), lg = new float[2 * vocab], am = new float[2], dr = new float[2];
        int[] logitRows = {1, 3};
        try (ExecutionPlan plan = backend.plan(graph)) {
            plan.write(in, rows, x);
            SamplingParams greedy = new SamplingParams(0f, 0, 1f, 0f, 1f, 1, 0), topOne = new SamplingParams(0.8f, 1, 1f, 0f, 1f, 9, 3);
            step(plan, new Step(new int[] {3, 1, 4, 1}, new int[] {0, 1, 0, 1}, new int[] {0, 0, 1, 1}, 0, logitRows,
                    new SamplingParams[] {greedy, topOne}, null, 4), "lm_head, argmax, sample");
            plan.read(logits, 2, lg);
            plan.read(best, 2, am);
            plan.read(drawn, 2, dr);
        }
        double[] expected = new double[2 * vocab];
        for (int i = 0; i < 2; i++) {
            for (int v = 0; v < vocab; v++) {
                double s = 0;
                for (int j = 0; j < k; j++) s += table.values()[v * k + j] * x[logitRows[i] * k + j];
                expected[i * vocab + v] = s;
            }
        }
        assertClose(expected, lg, 1e-4, dtype + " lm_head");
        for (int i = 0; i < 2; i++) {
            int arg = 0;
            for (int v = 1; v < vocab; v++) if (lg[i * vocab + v] > lg[i * vocab + arg]) arg = v;
            assertEquals(arg, (int) am[i], "argmax of row " + i);
            assertEquals(arg, (int) dr[i], "greedy / top-k 1 draw of row " + i);
        }
    }
}
