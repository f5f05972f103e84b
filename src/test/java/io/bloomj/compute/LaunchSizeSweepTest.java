package io.bloomj.compute;

import io.bloomj.compute.opencl.KernelStyle;
import io.bloomj.compute.opencl.OpenClBackend;
import io.bloomj.compute.opencl.WorkGroups;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.Tolerances;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.Set;

import static io.bloomj.testing.TestWeights.activations;
import static io.bloomj.compute.OpParityTest.assertClose;
import static io.bloomj.compute.OpParityTest.runGraph;
import static io.bloomj.testing.TestWeights.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The OpenCL kernels that reduce in local memory, at every work-group size from 1 to 256 (powers of
 * two), against naive double-precision code: a reduction that only works at the default size, or
 * a group larger than the work, would show here. Sizes the device does not allow are capped.
 */
class LaunchSizeSweepTest {
    private static final int[] SIZES = {1, 2, 16, 32, 64, 256};

    @BeforeEach
    void requireOpenCl() {
        TestBackends.assumeOpenCl();
    }

    private static OpenClBackend open(KernelStyle style, int size) {
        return OpenClBackend.open(0, style, new WorkGroups(size, size, size, size, size), ProgressListener.NONE);
    }

    @Test
    void gemvLayerNormAndAttentionAtEveryGroupSize() {
        Random rnd = new Random(11);
        for (int size : SIZES) {
            try (OpenClBackend cl = open(KernelStyle.GPU, size)) {
                String what = cl.description();
                for (int rows : new int[] {1, 2}) {
                    int k = 300, out = 37;
                    io.bloomj.testing.TestWeights.TestWeight w = weight(DType.BF16, rnd, 1 / Math.sqrt(k), out, k);
                    float[] x = activations(rnd, rows * k);
                    Buffer in = new Buffer("x", rows, k), y = new Buffer("y", rows, out);
                    float[] got = runGraph(cl, List.of(new Op.Matmul(in, w.weight(), null, y), new Op.Gelu(y, y)), rows,
                            new Step(new int[rows], 0, 1), y, rows, in, x);
                    double[] expected = new double[rows * out];
                    for (int r = 0; r < rows; r++) {
                        for (int o = 0; o < out; o++) {
                            double s = 0;
                            for (int i = 0; i < k; i++) s += w.values()[o * k + i] * x[r * k + i];
                            expected[r * out + o] = s * 0.5 * (1 + Math.tanh(0.79788456 * s * (1 + 0.044715 * s * s)));
                        }
                    }
                    assertClose(expected, got, rows * out, Tolerances.fp32Sum(k), what + " matmul_gemv+gelu rows " + rows);
                }
                for (int cols : new int[] {3, 100, 2560}) {
                    io.bloomj.testing.TestWeights.TestWeight g = weight(DType.F32, rnd, 1, cols), b = weight(DType.F32, rnd, 1, cols);
                    float[] x = activations(rnd, 2 * cols);
                    Buffer in = new Buffer("x", 2, cols), out = new Buffer("y", 2, cols);
                    float[] got = runGraph(cl, List.of(new Op.LayerNorm(in, g.weight(), b.weight(), 1e-5f, out)), 2,
                            new Step(new int[2], 0, 1), out, 2, in, x);
                    double[] expected = OpParityTest.layerNorm(x, 2, cols, g.values(), b.values(), 1e-5);
                    assertClose(expected, got, 2 * cols, Tolerances.fp32Sum(cols), what + " layer_norm " + cols);
                }
                attention(cl, rnd, what);
            }
        }
    }

    /** One head of 5 over 9 cached positions, keys split over the group (fewer keys than work-items at the larger sizes). */
    private static void attention(OpenClBackend cl, Random rnd, String what) {
        int heads = 2, hd = 5, capacity = 9, pos = 8, width = heads * hd;
        float[] slopes = {0.5f, 0.0625f};
        float scale = (float) (1 / Math.sqrt(hd));
        Buffer q = new Buffer("q", 1, width), kc = new Buffer("k_cache", width, capacity), vc = new Buffer("v_cache", heads * capacity, hd);
        Buffer out = new Buffer("out", 1, width);
        float[] qv = activations(rnd, width), k = activations(rnd, width * capacity), v = activations(rnd, heads * capacity * hd);
        float[] got = runGraph(cl, List.of(new Op.AlibiAttention(q, kc, vc, heads, hd, slopes, scale, out)), 1, new Step(new int[1], pos, 1),
                out, 1, q, qv, kc, k, vc, v);
        double[] expected = new double[width];
        for (int h = 0; h < heads; h++) {
            double[] s = new double[pos + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j <= pos; j++) {
                double dot = 0;
                for (int d = 0; d < hd; d++) dot += qv[h * hd + d] * k[(h * hd + d) * capacity + j];
                s[j] = dot * scale + slopes[h] * j;
                max = Math.max(max, s[j]);
            }
            for (int j = 0; j <= pos; j++) sum += s[j] = Math.exp(s[j] - max);
            for (int d = 0; d < hd; d++) {
                double acc = 0;
                for (int j = 0; j <= pos; j++) acc += s[j] / sum * v[(h * capacity + j) * hd + d];
                expected[h * hd + d] = acc;
            }
        }
        assertClose(expected, got, width, Tolerances.fp32Sum((pos + 1) * hd), what + " alibi_attention");
    }

    @Test
    void lmHeadArgmaxAndSamplingAtEveryGroupSize() {
        Random rnd = new Random(12);
        int vocab = 1001, k = 24;
        io.bloomj.testing.TestWeights.TestWeight table = weight(DType.BF16, rnd, 1, vocab, k);
        float[] x = activations(rnd, 3 * k);
        int[] best = new int[2];
        for (int r = 0; r < 2; r++) {
            double bestValue = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < vocab; t++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += table.values()[t * k + i] * x[(1 + r) * k + i];
                if (s > bestValue) { bestValue = s; best[r] = t; }
            }
        }
        for (int size : SIZES) {
            // the CPU style fuses the LM head with argmax in groups of `lmHead` work-items
            try (OpenClBackend cl = open(KernelStyle.CPU, size)) {
                Buffer in = new Buffer("x", 3, k), logits = new Buffer("logits", 2, vocab), token = new Buffer("token", 2, 1);
                float[] ids = runGraph(cl, List.of(new Op.LmHead(in, table.weight(), logits), new Op.Argmax(logits, token)), 3,
                        new Step(new int[3], 0, 2), token, 2, in, x);
                assertEquals(best[0], (int) ids[0], cl.description() + " lm_head+argmax row 0");
                assertEquals(best[1], (int) ids[1], cl.description() + " lm_head+argmax row 1");
            }
            try (OpenClBackend cl = open(KernelStyle.GPU, size)) {
                // greedy with a repetition penalty: the argmax of the penalised logits, found by the sampling group
                float[] l = activations(rnd, vocab);
                l[700] = 9f;
                l[300] = 8f;
                Buffer logits = new Buffer("logits", 1, vocab), token = new Buffer("token", 1, 1), seen = new Buffer("seen", 1, vocab);
                float[] marks = new float[vocab];
                marks[700] = 1f;   // 9 / 1.5 = 6 < 8: the penalty moves the winner to 300
                Graph g = new Graph(List.of(new Op.Sample(logits, token, seen)), 1, logits, null, Set.of(seen));
                try (ExecutionPlan plan = cl.plan(g)) {
                    plan.write(logits, 1, l);
                    plan.write(seen, 1, marks);
                    plan.execute(new Step(new int[] {5}, 0, 1, new SamplingParams(0f, 0, 1f, 0f, 1.5f, 1, 0)));
                    float[] id = new float[1];
                    plan.read(token, 1, id);
                    assertEquals(300, (int) id[0], cl.description() + " sample (greedy, penalty 1.5)");
                }
            }
        }
    }
}
