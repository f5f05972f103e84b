package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;

/**
 * Causal ALiBi attention for one (head, query) pair over a KV cache laid out
 * {@code [heads, capacity, headDim]}: scores in fp32, max-subtracted softmax in fp32, weighted sum
 * of values. The ALiBi bias is {@code slope * j} on the key position j, as transformers builds it
 * (it differs from {@code slope * (j - p)} by a per-row constant, which softmax cancels).
 */
final class AttentionKernel {
    private AttentionKernel() {}

    /**
     * @param len    number of keys attended ({@code position + 1})
     * @param base   offset of this head's first cached position in kCache / vCache
     * @param scores scratch of at least {@code len} floats
     */
    static void attend(float[] q, int qOff, float[] kCache, float[] vCache, int base, int len, int headDim,
                       float scale, float slope, float[] scores, float[] out, int outOff) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            float s = scale * MatMulKernel.dot(q, qOff, kCache, base + j * headDim, headDim) + slope * j;
            scores[j] = s;
            max = Math.max(max, s);
        }
        float sum = expAndSum(scores, len, max);
        float inv = 1f / sum;
        java.util.Arrays.fill(out, outOff, outOff + headDim, 0f);
        for (int j = 0; j < len; j++) axpy(scores[j] * inv, vCache, base + j * headDim, out, outOff, headDim);
    }

    private static float expAndSum(float[] s, int len, float max) {
        int j = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(len); j < bound; j += L) {
                FloatVector e = FloatVector.fromArray(F, s, j).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(s, j);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; j < len; j++) {
            s[j] = (float) Math.exp(s[j] - max);
            sum += s[j];
        }
        return sum;
    }

    private static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vectors.ENABLED) {
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector.fromArray(F, x, xOff + i).mul(a).add(FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }
}
