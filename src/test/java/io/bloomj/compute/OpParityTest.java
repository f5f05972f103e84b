package io.bloomj.compute;

import io.bloomj.tensor.Weight;
import io.bloomj.tensor.DType;
import io.bloomj.compute.device.When;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.Tolerances;
import io.bloomj.testing.TestWeights.TestWeight;
import org.junit.jupiter.api.Test;

import static io.bloomj.testing.TestWeights.activations;
import static io.bloomj.testing.TestWeights.weight;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each op alone (and the pairs device backends fuse), on every backend available here (see
 * {@link TestBackends}), against a naive double-precision implementation written here,
 * with odd sizes (not multiples of the vector width, the GEMM's 6-row register tile and row blocks or the thread
 * split). Tolerances come from the arithmetic ({@link Tolerances}): inputs are exact in their dtype, so
 * what remains is fp32 rounding over the terms summed.
 */
class OpParityTest {
    private static final List<Supplier<Backend>> BACKENDS = TestBackends.all().stream().map(TestBackends.Named::open).toList();

    /**
     * fp32 accumulation of k products everywhere, except the CUDA backend's prefill GEMM on tensor
     * cores, which rounds activations to bf16 on the way in (as a bf16 model's activations are).
     */
    static double matmulTolerance(Backend backend, DType dtype, int rows, int k) {
        return backend.name().equals("cuda") && dtype == DType.BF16 && rows > 1
                ? Tolerances.roundedTo(DType.BF16, k) : Tolerances.fp32Sum(k);
    }

    static void assertClose(double[] expected, float[] actual, int count, double tol, String what) {
        double worst = 0;
        for (int i = 0; i < count; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            assertTrue(err <= tol * (1 + Math.abs(expected[i])), what + " [" + i + "]: expected " + expected[i] + ", got " + actual[i]);
            worst = Math.max(worst, Math.abs(expected[i]));
        }
        assertTrue(worst > 1e-3, what + ": expected values are all ~0, the comparison would prove nothing");
    }

    /** Runs a one-op graph: writes inputs, executes one step, returns the output buffer. */
    static float[] run(Backend backend, Op op, int maxRows, Step step, Buffer output, int outRows, Object... inputs) {
        return runGraph(backend, List.of(op), maxRows, step, output, outRows, inputs);
    }

    static int[] tokens(int n) {
        return new int[n];
    }

    @Test
    void matMulEveryDtypeAndOddShapes() {
        Random rnd = new Random(1);
        // one row runs the GEMV variant (a decode row), more the GEMM (prompt rows); sizes off the vector
        // width, the GEMM's 6 weight rows x 2 vectors of rows register tile, its row blocks and the thread split
        int[][] shapes = {{1, 67, 37}, {1, 19, 300}, {1, 64, 1024}, {2, 70, 88}, {3, 65, 33}, {5, 33, 45}, {4, 16, 64}, {13, 21, 300},
                {9, 40, 520}, {66, 130, 72}};
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (DType dtype : DType.values()) {
                    for (int[] s : shapes) {
                        int n = s[0], out = s[1], k = s[2];
                        for (boolean withBias : new boolean[] {true, false}) {
                            TestWeight w = weight(dtype, rnd, 1 / Math.sqrt(k), out, k);
                            TestWeight b = withBias ? weight(dtype == DType.Q8_0 ? DType.BF16 : dtype, rnd, 0.5, out) : null;
                            float[] x = activations(rnd, n * k);
                            Buffer in = new Buffer("x", n, k), y = new Buffer("y", n, out);
                            float[] got = run(backend, new Op.Matmul(in, w.weight(), b == null ? null : b.weight(), y), n,
                                    new Step(tokens(n), 0, 1), y, n, in, x);
                            double[] expected = new double[n * out];
                            for (int r = 0; r < n; r++) {
                                for (int o = 0; o < out; o++) {
                                    double sum = b == null ? 0 : b.values()[o];
                                    for (int i = 0; i < k; i++) sum += w.values()[o * k + i] * x[r * k + i];
                                    expected[r * out + o] = sum;
                                }
                            }
                            assertClose(expected, got, n * out, matmulTolerance(backend, dtype, n, k),
                                    backend.description() + " matmul " + dtype + " " + n + "x" + out + "x" + k);
                        }
                    }
                }
            }
        }
    }

    /** A step of {@code n} rows of different sequences (slots 0..n-1, position 0), the first {@code decodeRows} of them decode rows. */
    static Step rowsOfSequences(int n, int decodeRows) {
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) slots[i] = i;
        return new Step(new int[n], new int[n], slots, decodeRows, new int[] {n - 1}, new io.bloomj.compute.SamplingParams[1], null, 1);
    }

    /**
     * Batch invariance at the op: a decode row's output is the same bits whatever other rows share
     * its step (all decode rows, or decode rows followed by prompt rows), and prompt rows keep the
     * bits they get in a prompt chunk of their own.
     */
    @Test
    void matmulRowsKeepTheirBitsInAnyStep() {
        Random rnd = new Random(9);
        int n = 5, out = 37, k = 300;
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (DType dtype : DType.values()) {
                    TestWeight w = weight(dtype, rnd, 1 / Math.sqrt(k), out, k);
                    TestWeight b = weight(dtype == DType.Q8_0 ? DType.BF16 : dtype, rnd, 0.5, out);
                    float[] x = activations(rnd, n * k);
                    Buffer in = new Buffer("x", n, k), y = new Buffer("y", n, out);
                    Op op = new Op.Matmul(in, w.weight(), b.weight(), y);
                    float[] allDecode = run(backend, op, n, rowsOfSequences(n, n), y, n, in, x);
                    float[] mixed = run(backend, op, n, rowsOfSequences(n, 2), y, n, in, x);
                    float[] prompt = run(backend, op, n, rowsOfSequences(n, 0), y, n, in, x);
                    String what = backend.description() + " " + dtype;
                    for (int r = 0; r < n; r++) {
                        Buffer in1 = new Buffer("x1", 1, k), y1 = new Buffer("y1", 1, out);
                        float[] alone = run(backend, new Op.Matmul(in1, w.weight(), b.weight(), y1), 1, rowsOfSequences(1, 1), y1, 1, in1,
                                java.util.Arrays.copyOfRange(x, r * k, (r + 1) * k));
                        for (int o = 0; o < out; o++) {
                            assertEquals(Float.floatToIntBits(alone[o]), Float.floatToIntBits(allDecode[r * out + o]), what + " decode row " + r + " among decode rows");
                            if (r < 2) assertEquals(Float.floatToIntBits(alone[o]), Float.floatToIntBits(mixed[r * out + o]), what + " decode row " + r + " before prompt rows");
                            else assertEquals(Float.floatToIntBits(prompt[r * out + o]), Float.floatToIntBits(mixed[r * out + o]), what + " prompt row " + r + " after decode rows");
                        }
                    }
                }
            }
        }
    }

    /** A long prompt's rows (several row blocks and register tiles of the GEMM) keep the bits they get in a short chunk of their own. */
    @Test
    void promptRowsKeepTheirBitsInAnyChunk() {
        Random rnd = new Random(11);
        int n = 70, out = 23, k = 300;
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (DType dtype : new DType[] {DType.BF16, DType.Q8_0}) {
                    TestWeight w = weight(dtype, rnd, 1 / Math.sqrt(k), out, k);
                    TestWeight b = weight(DType.BF16, rnd, 0.5, out);
                    float[] x = activations(rnd, n * k);
                    Buffer in = new Buffer("x", n, k), y = new Buffer("y", n, out);
                    float[] all = run(backend, new Op.Matmul(in, w.weight(), b.weight(), y), n, rowsOfSequences(n, 0), y, n, in, x);
                    for (int r0 : new int[] {0, 17, 66}) {
                        int c = 3;
                        Buffer inc = new Buffer("xc", c, k), yc = new Buffer("yc", c, out);
                        float[] chunk = run(backend, new Op.Matmul(inc, w.weight(), b.weight(), yc), c, rowsOfSequences(c, 0), yc, c, inc,
                                java.util.Arrays.copyOfRange(x, r0 * k, (r0 + c) * k));
                        for (int i = 0; i < c * out; i++) {
                            assertEquals(Float.floatToIntBits(all[r0 * out + i]), Float.floatToIntBits(chunk[i]),
                                    backend.description() + " " + dtype + " prompt row " + (r0 + i / out) + " output " + i % out);
                        }
                    }
                }
            }
        }
    }

    @Test
    void lmHeadComputesOnlyTheLastRows() {
        Random rnd = new Random(2);
        int rows = 7, k = 45, vocab = 101, logitRows = 3;
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (DType dtype : new DType[] {DType.BF16, DType.Q8_0}) {
                TestWeight table = weight(dtype, rnd, 1, vocab, k);
                float[] x = activations(rnd, rows * k);
                Buffer in = new Buffer("x", rows, k), logits = new Buffer("logits", 4, vocab);
                float[] got = run(backend, new Op.LmHead(in, table.weight(), logits), rows, new Step(tokens(rows), 0, logitRows),
                        logits, logitRows, in, x);
                double[] expected = new double[logitRows * vocab];
                for (int r = 0; r < logitRows; r++) {
                    int src = rows - logitRows + r;
                    for (int v = 0; v < vocab; v++) {
                        double s = 0;
                        for (int i = 0; i < k; i++) s += table.values()[v * k + i] * x[src * k + i];
                        expected[r * vocab + v] = s;
                    }
                }
                assertClose(expected, got, logitRows * vocab, Tolerances.fp32Sum(k), backend.description() + " lm_head " + dtype);
                }
            }
        }
    }

    @Test
    void layerNormGeluAddEmbedding() {
        Random rnd = new Random(3);
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (int cols : new int[] {37, 100, 2560}) {
                    int n = 3;
                    TestWeight g = weight(DType.BF16, rnd, 1, cols), b = weight(DType.F32, rnd, 1, cols);
                    float[] x = activations(rnd, n * cols);
                    for (int i = 0; i < x.length; i++) x[i] = x[i] * 3 + 5; // a large mean tests the two-pass variance
                    Buffer in = new Buffer("x", n, cols), out = new Buffer("y", n, cols);
                    float[] got = run(backend, new Op.LayerNorm(in, g.weight(), b.weight(), 1e-5f, out), n,
                            new Step(tokens(n), 0, 1), out, n, in, x);
                    double[] expected = layerNorm(x, n, cols, g.values(), b.values(), 1e-5);
                    assertClose(expected, got, n * cols, Tolerances.fp32Sum(cols), backend.description() + " layer_norm " + cols);

                    float[] y = activations(rnd, n * cols);
                    Buffer in2 = new Buffer("x2", n, cols);
                    float[] sum = run(backend, new Op.Add(in, in2, out), n, new Step(tokens(n), 0, 1), out, n, in, x, in2, y);
                    double[] eg = new double[n * cols], es = new double[n * cols];
                    for (int i = 0; i < n * cols; i++) {
                        double v = x[i] - 5;   // centre near 0 where tanh is not saturated
                        x[i] = (float) v;
                    }
                    float[] gelu = run(backend, new Op.Gelu(in, out), n, new Step(tokens(n), 0, 1), out, n, in, x);
                    for (int i = 0; i < n * cols; i++) {
                        double v = x[i];
                        eg[i] = v * 0.5 * (1 + Math.tanh(0.79788456 * v * (1 + 0.044715 * v * v)));
                        es[i] = (double) (x[i] + 5) + y[i];
                    }
                    assertClose(eg, gelu, n * cols, Tolerances.fp32Sum(1), backend.description() + " gelu");
                    assertClose(es, sum, n * cols, Tolerances.fp32Sum(1), backend.description() + " add");
                }
                for (DType dtype : new DType[] {DType.F16, DType.Q8_0}) {
                    TestWeight table = weight(dtype, rnd, 1, 11, 37);
                    Buffer emb = new Buffer("emb", 4, 37);
                    float[] got = run(backend, new Op.Embedding(table.weight(), emb), 4, new Step(new int[] {10, 0, 3, 10}, 0, 1), emb, 4);
                    double[] expected = new double[4 * 37];
                    int[] ids = {10, 0, 3, 10};
                    for (int r = 0; r < 4; r++) for (int i = 0; i < 37; i++) expected[r * 37 + i] = table.values()[ids[r] * 37 + i];
                    assertClose(expected, got, 4 * 37, 0, backend.description() + " embedding " + dtype);
                }
            }
        }
    }

    /** KvStore then AlibiAttention over a cache that already holds earlier positions. */
    @Test
    void kvStoreAndCausalAlibiAttention() {
        Random rnd = new Random(4);
        int heads = 3, hd = 7, capacity = 23, width = heads * hd;
        float[] slopes = {0.5f, 0.125f, 0.03125f};
        float scale = (float) (1 / Math.sqrt(hd));
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                int[][] steps = {{5, 0}, {1, 5}, {4, 6}, {1, 10}};   // rows, position: prefill, decode, chunk, decode
                Buffer qkv = new Buffer("qkv", 5, 3 * width), q = new Buffer("q", 5, width);
                Buffer kc = new Buffer("k_cache", heads * hd, capacity), vc = new Buffer("v_cache", heads * capacity, hd);
                Buffer out = new Buffer("out", 5, width);
                Graph g = new Graph(List.of(new Op.KvStore(qkv, heads, hd, q, kc, vc),
                        new Op.AlibiAttention(q, kc, vc, heads, hd, slopes, scale, out)), 5, out, null, Set.of(kc, vc));
                List<float[]> rowsSeen = new ArrayList<>();
                try (ExecutionPlan plan = backend.plan(g)) {
                    for (int[] s : steps) {
                        int rows = s[0], pos = s[1];
                        float[] in = activations(rnd, rows * 3 * width);
                        for (int r = 0; r < rows; r++) rowsSeen.add(java.util.Arrays.copyOfRange(in, r * 3 * width, (r + 1) * 3 * width));
                        plan.write(qkv, rows, in);
                        plan.execute(new Step(tokens(rows), pos, 1));
                        float[] got = new float[rows * width];
                        plan.read(out, rows, got);
                        double[] expected = new double[rows * width];
                        for (int r = 0; r < rows; r++) {
                            int p = pos + r;
                            for (int h = 0; h < heads; h++) {
                                double[] sc = new double[p + 1];
                                double max = Double.NEGATIVE_INFINITY, sum = 0;
                                for (int j = 0; j <= p; j++) {
                                    double dot = 0;
                                    for (int d = 0; d < hd; d++) {
                                        dot += rowsSeen.get(p)[h * 3 * hd + d] * rowsSeen.get(j)[h * 3 * hd + hd + d];
                                    }
                                    sc[j] = dot * scale + slopes[h] * j;
                                    max = Math.max(max, sc[j]);
                                }
                                for (int j = 0; j <= p; j++) sum += sc[j] = Math.exp(sc[j] - max);
                                for (int d = 0; d < hd; d++) {
                                    double acc = 0;
                                    for (int j = 0; j <= p; j++) acc += sc[j] / sum * rowsSeen.get(j)[h * 3 * hd + 2 * hd + d];
                                    expected[r * width + h * hd + d] = acc;
                                }
                            }
                        }
                        assertClose(expected, got, rows * width, Tolerances.fp32Sum((pos + rows) * hd), backend.description() + " attention at " + pos);
                    }
                }
            }
        }
    }

    /**
     * KvStore then AlibiAttention over a paged KV pool shared by two sequences: blocks of 4
     * positions, each sequence's blocks scattered through the pool by its row of the block table,
     * steps that mix the sequences' prompt chunks and decode rows. Every row attends to its own
     * sequence's keys only, as the double reference does.
     */
    @Test
    void pagedKvStoreAndAttentionKeepSequencesApart() {
        // {slot, position} per row, decode rows first: two prompts, two decodes, a decode before a prompt chunk
        int[][][] steps = {
                {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {1, 0}, {1, 1}, {1, 2}},
                {{0, 6}, {1, 3}},
                {{1, 4}, {0, 7}, {0, 8}, {0, 9}}};
        pagedAttention(7, 4, 8, 4, new int[] {5, 2, 7, 0, 1, 6, 3, 4}, steps, new int[] {0, 2, 1}, 9);
        // head dimension and blocks past the vector width (the CPU's register tiles and their tails):
        // a 40-row prompt across a block boundary next to a short one, decodes, a decode before a chunk
        int[][] longPrompt = new int[45][];
        for (int r = 0; r < 40; r++) longPrompt[r] = new int[] {0, r};
        for (int r = 0; r < 5; r++) longPrompt[40 + r] = new int[] {1, r};
        int[][] lastChunk = new int[6][];
        lastChunk[0] = new int[] {1, 6};
        for (int r = 1; r < 6; r++) lastChunk[r] = new int[] {0, 40 + r};
        pagedAttention(37, 32, 4, 2, new int[] {2, 0, 3, 1}, new int[][][] {longPrompt, {{0, 40}, {1, 5}}, lastChunk}, new int[] {0, 2, 1}, 45);
    }

    /** One paged KV pool of {@code blocks} blocks of {@code bs} positions, 3 heads of {@code hd}, {@code table}: slot 0's blocks, then slot 1's. */
    private static void pagedAttention(int hd, int bs, int blocks, int blocksPerSlot, int[] table, int[][][] steps, int[] decodeRows,
                                       int maxRows) {
        Random rnd = new Random(12);
        int heads = 3, width = heads * hd;
        float[] slopes = {0.5f, 0.125f, 0.03125f};
        float scale = (float) (1 / Math.sqrt(hd));
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                Buffer qkv = new Buffer("qkv", maxRows, 3 * width), q = new Buffer("q", maxRows, width);
                Buffer kc = new Buffer("k_cache", blocks * heads * hd, bs), vc = new Buffer("v_cache", blocks * heads * bs, hd);
                Buffer out = new Buffer("out", maxRows, width);
                Graph g = new Graph(List.of(new Op.KvStore(qkv, heads, hd, q, kc, vc),
                        new Op.AlibiAttention(q, kc, vc, heads, hd, slopes, scale, out)), maxRows, out, null, Set.of(kc, vc));
                List<List<float[]>> seen = List.of(new ArrayList<>(), new ArrayList<>());   // per slot, by position
                try (ExecutionPlan plan = backend.plan(g)) {
                    for (int si = 0; si < steps.length; si++) {
                        int rows = steps[si].length;
                        int[] slots = new int[rows], positions = new int[rows];
                        float[] in = activations(rnd, rows * 3 * width);
                        for (int r = 0; r < rows; r++) {
                            slots[r] = steps[si][r][0];
                            positions[r] = steps[si][r][1];
                            seen.get(slots[r]).add(java.util.Arrays.copyOfRange(in, r * 3 * width, (r + 1) * 3 * width));
                        }
                        plan.write(qkv, rows, in);
                        plan.execute(new Step(tokens(rows), positions, slots, decodeRows[si], new int[] {rows - 1},
                                new io.bloomj.compute.SamplingParams[1], table, blocksPerSlot));
                        float[] got = new float[rows * width];
                        plan.read(out, rows, got);
                        double[] expected = new double[rows * width];
                        for (int r = 0; r < rows; r++) {
                            List<float[]> mine = seen.get(slots[r]);
                            int p = positions[r];
                            for (int h = 0; h < heads; h++) {
                                double[] sc = new double[p + 1];
                                double max = Double.NEGATIVE_INFINITY, sum = 0;
                                for (int j = 0; j <= p; j++) {
                                    double dot = 0;
                                    for (int d = 0; d < hd; d++) dot += mine.get(p)[h * 3 * hd + d] * mine.get(j)[h * 3 * hd + hd + d];
                                    sc[j] = dot * scale + slopes[h] * j;
                                    max = Math.max(max, sc[j]);
                                }
                                for (int j = 0; j <= p; j++) sum += sc[j] = Math.exp(sc[j] - max);
                                for (int d = 0; d < hd; d++) {
                                    double acc = 0;
                                    for (int j = 0; j <= p; j++) acc += sc[j] / sum * mine.get(j)[h * 3 * hd + 2 * hd + d];
                                    expected[r * width + h * hd + d] = acc;
                                }
                            }
                        }
                        assertClose(expected, got, rows * width, Tolerances.fp32Sum(10 * hd), backend.description() + " paged attention hd " + hd + ", step " + si);
                    }
                }
            }
        }
    }

    /** The pairs device backends fuse into one kernel: matmul + GELU in place, matmul + residual add. */
    @Test
    void fusedMatMulGeluAndMatMulAdd() {
        Random rnd = new Random(5);
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                for (int n : new int[] {1, 6}) {
                    int k = 45, out = 37;
                    TestWeight w = weight(DType.BF16, rnd, 1 / Math.sqrt(k), out, k);
                    TestWeight b = weight(DType.BF16, rnd, 0.5, out);
                    float[] x = activations(rnd, n * k), res = activations(rnd, n * out);
                    Buffer in = new Buffer("x", n, k), y = new Buffer("y", n, out), r = new Buffer("res", n, out), sum = new Buffer("sum", n, out);
                    double[] lin = new double[n * out];
                    for (int row = 0; row < n; row++) {
                        for (int o = 0; o < out; o++) {
                            double s = b.values()[o];
                            for (int i = 0; i < k; i++) s += w.values()[o * k + i] * x[row * k + i];
                            lin[row * out + o] = s;
                        }
                    }
                    double[] gelu = new double[n * out], added = new double[n * out];
                    for (int i = 0; i < n * out; i++) {
                        double v = lin[i];
                        gelu[i] = v * 0.5 * (1 + Math.tanh(0.79788456 * v * (1 + 0.044715 * v * v)));
                        added[i] = lin[i] + res[i];
                    }
                    Step step = new Step(tokens(n), 0, 1);
                    float[] got = runGraph(backend, List.of(new Op.Matmul(in, w.weight(), b.weight(), y), new Op.Gelu(y, y)), n, step,
                            y, n, in, x);
                    assertClose(gelu, got, n * out, Tolerances.fp32Sum(k), backend.description() + " matmul+gelu rows " + n);
                    got = runGraph(backend, List.of(new Op.Matmul(in, w.weight(), b.weight(), y), new Op.Add(y, r, sum)), n, step,
                            sum, n, in, x, r, res);
                    assertClose(added, got, n * out, Tolerances.fp32Sum(k), backend.description() + " matmul+add rows " + n);
                }
            }
        }
    }

    /** Argmax alone and after the LM head (fused on device backends), ties going to the lowest id. */
    @Test
    void argmaxAloneAndAfterTheLmHead() {
        Random rnd = new Random(6);
        for (Supplier<Backend> make : BACKENDS) {
            try (Backend backend = make.get()) {
                int vocab = 9001, rows = 3;
                float[] logits = activations(rnd, rows * vocab);
                logits[5000] = 50;
                logits[vocab + 7] = 60;
                logits[vocab + 8000] = 60;          // tie: the lower id wins
                logits[2 * vocab + vocab - 1] = 70; // the very last id
                Buffer l = new Buffer("logits", rows, vocab), t = new Buffer("token", rows, 1);
                float[] got = run(backend, new Op.Argmax(l, t), rows, new Step(tokens(rows), 0, rows), t, rows, l, logits);
                assertEquals(5000, (int) got[0], backend.description());
                assertEquals(7, (int) got[1], backend.description());
                assertEquals(vocab - 1, (int) got[2], backend.description());

                int k = 37, steps = 5;
                for (DType dtype : new DType[] {DType.F16, DType.Q8_0}) {
                TestWeight table = weight(dtype, rnd, 1, vocab, k);
                float[] x = activations(rnd, steps * k);
                Buffer in = new Buffer("x", steps, k), lg = new Buffer("logits", 2, vocab), tok = new Buffer("token", 2, 1);
                float[] ids = runGraph(backend, List.of(new Op.LmHead(in, table.weight(), lg), new Op.Argmax(lg, tok)), steps,
                        new Step(tokens(steps), 0, 2), tok, 2, in, x);
                for (int r = 0; r < 2; r++) {
                    int src = steps - 2 + r, best = 0;
                    double bestValue = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < vocab; v++) {
                        double s = 0;
                        for (int i = 0; i < k; i++) s += table.values()[v * k + i] * x[src * k + i];
                        if (s > bestValue) { bestValue = s; best = v; }
                    }
                    assertEquals(best, (int) ids[r], backend.description() + " lm_head+argmax " + dtype + " row " + r);
                }
                }
            }
        }
    }

    /** LayerNorm of {@code rows} rows in double: biased variance, as torch.nn.LayerNorm. */
    static double[] layerNorm(float[] x, int rows, int cols, double[] gamma, double[] beta, double eps) {
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < cols; i++) mean += x[r * cols + i];
            mean /= cols;
            for (int i = 0; i < cols; i++) var += (x[r * cols + i] - mean) * (x[r * cols + i] - mean);
            var /= cols;
            for (int i = 0; i < cols; i++) out[r * cols + i] = (x[r * cols + i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
        }
        return out;
    }

    static float[] runGraph(Backend backend, List<Op> ops, int maxRows, Step step, Buffer output, int outRows, Object... inputs) {
        Graph g = new Graph(ops, maxRows, output, null, Set.of());
        try (ExecutionPlan plan = backend.plan(g)) {
            for (int i = 0; i < inputs.length; i += 2) {
                Buffer b = (Buffer) inputs[i];
                plan.write(b, b.rows(), (float[]) inputs[i + 1]);
            }
            plan.execute(step);
            float[] out = new float[outRows * output.cols()];
            plan.read(output, outRows, out);
            return out;
        }
    }
}
