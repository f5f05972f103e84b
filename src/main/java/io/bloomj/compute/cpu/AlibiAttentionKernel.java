package io.bloomj.compute.cpu;

import io.bloomj.compute.Step;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;

/**
 * Causal ALiBi attention for one (head, query) pair. Keys are cached transposed,
 * {@code [headDim, capacity]} per head, so the scores of all positions are built one dimension at
 * a time with contiguous vector FMAs and no horizontal reductions; values are cached
 * {@code [capacity, headDim]} per head for the weighted sum. Scores and softmax are fp32. The ALiBi
 * bias is {@code slope * j} on the key position j, as transformers builds it (it differs from
 * {@code slope * (j - p)} by a per-row constant, which softmax cancels).
 */
final class AlibiAttentionKernel {
    private static final FloatVector IOTA = FloatVector.fromArray(F, iota(), 0);

    private AlibiAttentionKernel() {}

    private static float[] iota() {
        float[] a = new float[L];
        for (int i = 0; i < L; i++) a[i] = i;
        return a;
    }

    /** Query rows attended together: each key and value vector loaded serves this many rows. */
    static final int ROWS = 4;

    /**
     * Up to {@link #ROWS} consecutive query rows of one sequence and head at once: row i attends
     * {@code len0 + i} keys, read block by block through the step's block table. Scores are built
     * for the longest row with each transposed-key vector loaded once for all rows; the shorter
     * rows ignore the keys past their own length, so each row computes exactly what it would
     * alone (and with the same bits whatever the block size: the scalar tails fuse as the vector
     * body does).
     *
     * @param qStride distance between the rows' queries in {@code q}
     * @param scores  scratch of at least {@code ROWS * (len0 + ROWS)} floats
     */
    static void attend(float[] q, int qOff, int qStride, int count, float[] kCache, float[] vCache, Step step, int slot, int h,
                       int heads, int blockSize, int len0, int headDim, float scale, float slope, float[] scores, float[] out,
                       int outOff, int outStride) {
        int maxLen = len0 + count - 1;
        java.util.Arrays.fill(scores, 0, count * maxLen, 0f);
        for (int j0 = 0; j0 < maxLen; j0 += blockSize) {
            int kBase = (step.block(slot, j0, blockSize) * heads + h) * headDim * blockSize;
            for (int d = 0; d < headDim; d++) {
                int row = kBase + d * blockSize;
                for (int i = 0; i < count; i++) {
                    int n = Math.min(len0 + i - j0, blockSize);
                    if (n > 0) axpy(q[qOff + i * qStride + d], kCache, row, scores, i * maxLen + j0, n);
                }
            }
        }
        for (int i = 0; i < count; i++) {
            int len = len0 + i;
            int base = i * maxLen;
            float max = scaleAddBiasAndMax(scores, base, len, scale, slope);
            float inv = 1f / expAndSum(scores, base, len, max);
            for (int j = 0; j < len; j++) scores[base + j] *= inv;
            java.util.Arrays.fill(out, outOff + i * outStride, outOff + i * outStride + headDim, 0f);
        }
        // Weighted values: each value vector loaded once for every row that sees it.
        for (int j = 0; j < maxLen; j++) {
            int v = ((step.block(slot, j, blockSize) * heads + h) * blockSize + j % blockSize) * headDim;
            for (int i = Math.max(0, j - len0 + 1); i < count; i++) {
                axpy(scores[i * maxLen + j], vCache, v, out, outOff + i * outStride, headDim);
            }
        }
    }

    /** {@code s[j] = scale * s[j] + slope * j}; returns the maximum. */
    private static float scaleAddBiasAndMax(float[] s, int base, int len, float scale, float slope) {
        int j = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (Vectors.ENABLED) {
            FloatVector m = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            FloatVector slopes = IOTA.mul(slope);
            for (int bound = F.loopBound(len); j < bound; j += L) {
                FloatVector v = FloatVector.fromArray(F, s, base + j).mul(scale).add(slopes.add(slope * j));
                v.intoArray(s, base + j);
                m = m.max(v);
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; j < len; j++) {
            s[base + j] = scale * s[base + j] + slope * j;
            max = Math.max(max, s[base + j]);
        }
        return max;
    }

    private static float expAndSum(float[] s, int base, int len, float max) {
        int j = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(len); j < bound; j += L) {
                FloatVector e = Vectors.exp(FloatVector.fromArray(F, s, base + j).sub(max));
                e.intoArray(s, base + j);
                acc = acc.add(e);
            }
            sum = Vectors.sum(acc);
        }
        for (; j < len; j++) {
            s[base + j] = Vectors.exp(s[base + j] - max);
            sum += s[base + j];
        }
        return sum;
    }

    /** {@code y[yOff..yOff+n) += a * x[xOff..xOff+n)}. */
    private static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (Vectors.ENABLED) {
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = Math.fma(x[xOff + i], a, y[yOff + i]);
    }
}
