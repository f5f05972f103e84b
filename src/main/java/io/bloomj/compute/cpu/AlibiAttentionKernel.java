package io.bloomj.compute.cpu;

import io.bloomj.compute.Step;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;

/**
 * Causal ALiBi attention for one (head, query) pair. Keys are cached transposed,
 * {@code [headDim, capacity]} per head, so the scores of all positions are built one dimension at
 * a time with contiguous vector FMAs and no horizontal reductions; values are cached
 * {@code [capacity, headDim]} per head for the weighted sum. Scores and softmax are fp32. The ALiBi
 * bias is {@code slope * j} on the key position j, as transformers builds it (it differs from
 * {@code slope * (j - p)} by a per-row constant, which softmax cancels).
 */
final class AlibiAttentionKernel {
    private static final FloatVector IOTA = FV.cast(FloatVector.fromArray(F, iota(), 0));

    private AlibiAttentionKernel() {}

    private static float[] iota() {
        float[] a = new float[L];
        for (int i = 0; i < L; i++) a[i] = i;
        return a;
    }

    /** Query rows attended together: each key and value vector loaded serves this many rows. */
    static final int ROWS = 4;

    /** Scratch floats for contexts of up to {@code maxContext} positions: the rows' scores, then their queries, then L floats for lane sums. */
    static int scratchFloats(long maxContext, int headDim) {
        return (int) Math.min(Integer.MAX_VALUE / 8, ROWS * (maxContext + ROWS) + (long) ROWS * headDim + L);
    }

    /**
     * Up to {@link #ROWS} consecutive query rows of one sequence and head at once: row i attends
     * {@code len0 + i} keys, read block by block through the step's block table. Scores are built
     * in registers: with all {@link #ROWS} rows, a vector or two of keys at a time for every row
     * (each transposed-key vector loaded once for all rows, the shorter rows ignoring the scores past
     * their own length); with fewer (a decode row), a row at a time, four key vectors per tile. Every score is one fma chain over the head dimension and every output one fma chain
     * over the keys in order, in the vector body and the scalar tails alike, so each row computes
     * exactly what it would alone, with the same bits whatever the block size.
     *
     * @param qStride distance between the rows' queries in {@code q}
     * @param scores  scratch of at least {@link #scratchFloats} floats
     */
    static void attend(float[] q, int qOff, int qStride, int count, float[] kCache, float[] vCache, Step step, int slot, int h,
                       int heads, int blockSize, int len0, int headDim, float scale, float slope, float[] scores, float[] out,
                       int outOff, int outStride) {
        int maxLen = len0 + count - 1;
        int qs = ROWS * (maxLen + ROWS);   // the rows' queries, contiguous
        for (int i = 0; i < count; i++) System.arraycopy(q, qOff + i * qStride, scores, qs + i * headDim, headDim);
        for (int j0 = 0; j0 < maxLen; j0 += blockSize) {
            int kBase = (step.block(slot, j0, blockSize) * heads + h) * headDim * blockSize;
            int n = Math.min(maxLen - j0, blockSize), j = 0;
            if (Vectors.ENABLED && count == ROWS) {
                for (; j + 2 * L <= n; j += 2 * L) scoreTile2(kCache, kBase + j, blockSize, scores, qs, headDim, maxLen, j0 + j);
                for (; j + L <= n; j += L) scoreTile(kCache, kBase + j, blockSize, scores, qs, headDim, maxLen, j0 + j);
            } else if (Vectors.ENABLED) {
                // Fewer rows (a decode row, a chunk's last rows): a row at a time, so no FMAs go to missing rows.
                int end = 0;
                for (int i = 0; i < count; i++) {
                    int at = i * maxLen + j0, qi = qs + i * headDim;
                    end = 0;
                    for (; end + 4 * L <= n; end += 4 * L) scoreRow4(kCache, kBase + end, blockSize, scores, qi, headDim, at + end);
                    for (; end + L <= n; end += L) scoreRow(kCache, kBase + end, blockSize, scores, qi, headDim, at + end);
                }
                j = end;
            }
            for (; j < n; j++) {
                for (int i = 0; i < count; i++) {
                    float c = 0f;
                    for (int d = 0; d < headDim; d++) c = Math.fma(kCache[kBase + d * blockSize + j], scores[qs + i * headDim + d], c);
                    scores[i * maxLen + j0 + j] = c;
                }
            }
        }
        for (int i = 0; i < count; i++) {
            int len = len0 + i;
            int base = i * maxLen;
            float max = scaleAddBiasAndMax(scores, base, len, scale, slope);
            float inv = 1f / expAndSum(scores, base, len, max, qs + ROWS * headDim);
            for (int j = 0; j < len; j++) scores[base + j] *= inv;
            weighted(scores, base, len, vCache, step, slot, h, heads, blockSize, headDim, out, outOff + i * outStride);
        }
    }

    /** Scores of one vector of keys (transposed, at {@code k + d * ldk}) for all {@link #ROWS} queries, into row i's scores at {@code j}. */
    private static void scoreTile(float[] k, int kOff, int ldk, float[] s, int qs, int headDim, int maxLen, int j) {
        FloatVector a0 = FV.cast(FloatVector.zero(F)), a1 = FV.cast(FloatVector.zero(F)), a2 = FV.cast(FloatVector.zero(F)), a3 = FV.cast(FloatVector.zero(F));
        int q1 = qs + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        for (int d = 0; d < headDim; d++) {
            FloatVector kv = FV.cast(FloatVector.fromArray(F, k, kOff + d * ldk));
            a0 = kv.fma(FV.cast(FloatVector.broadcast(F, s[qs + d])), a0);
            a1 = kv.fma(FV.cast(FloatVector.broadcast(F, s[q1 + d])), a1);
            a2 = kv.fma(FV.cast(FloatVector.broadcast(F, s[q2 + d])), a2);
            a3 = kv.fma(FV.cast(FloatVector.broadcast(F, s[q3 + d])), a3);
        }
        a0.intoArray(s, j);
        a1.intoArray(s, maxLen + j);
        a2.intoArray(s, 2 * maxLen + j);
        a3.intoArray(s, 3 * maxLen + j);
    }

    /** One query row's scores of four vectors of keys (a decode row: each query value broadcast once for all four). */
    private static void scoreRow4(float[] k, int kOff, int ldk, float[] s, int qi, int headDim, int at) {
        FloatVector a0 = FV.cast(FloatVector.zero(F)), a1 = FV.cast(FloatVector.zero(F)), a2 = FV.cast(FloatVector.zero(F)), a3 = FV.cast(FloatVector.zero(F));
        for (int d = 0; d < headDim; d++) {
            int r = kOff + d * ldk;
            FloatVector x = FV.cast(FloatVector.broadcast(F, s[qi + d]));
            a0 = FV.cast(FloatVector.fromArray(F, k, r)).fma(x, a0);
            a1 = FV.cast(FloatVector.fromArray(F, k, r + L)).fma(x, a1);
            a2 = FV.cast(FloatVector.fromArray(F, k, r + 2 * L)).fma(x, a2);
            a3 = FV.cast(FloatVector.fromArray(F, k, r + 3 * L)).fma(x, a3);
        }
        a0.intoArray(s, at);
        a1.intoArray(s, at + L);
        a2.intoArray(s, at + 2 * L);
        a3.intoArray(s, at + 3 * L);
    }

    /** One query row's scores of one vector of keys. */
    private static void scoreRow(float[] k, int kOff, int ldk, float[] s, int qi, int headDim, int at) {
        FloatVector a = FV.cast(FloatVector.zero(F));
        for (int d = 0; d < headDim; d++) a = FV.cast(FloatVector.fromArray(F, k, kOff + d * ldk)).fma(FV.cast(FloatVector.broadcast(F, s[qi + d])), a);
        a.intoArray(s, at);
    }

    /** {@link #scoreTile} for two vectors of keys: each broadcast query value serves both (eight accumulators). */
    private static void scoreTile2(float[] k, int kOff, int ldk, float[] s, int qs, int headDim, int maxLen, int j) {
        FloatVector a0 = FV.cast(FloatVector.zero(F)), a1 = FV.cast(FloatVector.zero(F)), a2 = FV.cast(FloatVector.zero(F)), a3 = FV.cast(FloatVector.zero(F));
        FloatVector b0 = FV.cast(FloatVector.zero(F)), b1 = FV.cast(FloatVector.zero(F)), b2 = FV.cast(FloatVector.zero(F)), b3 = FV.cast(FloatVector.zero(F));
        int q1 = qs + headDim, q2 = q1 + headDim, q3 = q2 + headDim;
        for (int d = 0; d < headDim; d++) {
            int at = kOff + d * ldk;
            FloatVector k0 = FV.cast(FloatVector.fromArray(F, k, at)), k1 = FV.cast(FloatVector.fromArray(F, k, at + L));
            FloatVector x = FV.cast(FloatVector.broadcast(F, s[qs + d]));
            a0 = k0.fma(x, a0);
            b0 = k1.fma(x, b0);
            x = FV.cast(FloatVector.broadcast(F, s[q1 + d]));
            a1 = k0.fma(x, a1);
            b1 = k1.fma(x, b1);
            x = FV.cast(FloatVector.broadcast(F, s[q2 + d]));
            a2 = k0.fma(x, a2);
            b2 = k1.fma(x, b2);
            x = FV.cast(FloatVector.broadcast(F, s[q3 + d]));
            a3 = k0.fma(x, a3);
            b3 = k1.fma(x, b3);
        }
        a0.intoArray(s, j);
        b0.intoArray(s, j + L);
        a1.intoArray(s, maxLen + j);
        b1.intoArray(s, maxLen + j + L);
        a2.intoArray(s, 2 * maxLen + j);
        b2.intoArray(s, 2 * maxLen + j + L);
        a3.intoArray(s, 3 * maxLen + j);
        b3.intoArray(s, 3 * maxLen + j + L);
    }

    /** {@code out[e] = sum_j p[j] * V[j, e]} over the row's keys in order, four vectors of the head dimension at a time in registers. */
    private static void weighted(float[] p, int pOff, int len, float[] vCache, Step step, int slot, int h, int heads, int blockSize,
                                 int headDim, float[] out, int outOff) {
        int e = 0;
        if (Vectors.ENABLED) {
            for (; e + 4 * L <= headDim; e += 4 * L) {
                FloatVector c0 = FV.cast(FloatVector.zero(F)), c1 = FV.cast(FloatVector.zero(F)), c2 = FV.cast(FloatVector.zero(F)), c3 = FV.cast(FloatVector.zero(F));
                for (int j0 = 0; j0 < len; j0 += blockSize) {   // the block table looked up once per block
                    int v = (step.block(slot, j0, blockSize) * heads + h) * blockSize * headDim + e;
                    for (int j = j0, end = Math.min(len, j0 + blockSize); j < end; j++, v += headDim) {
                        FloatVector b = FV.cast(FloatVector.broadcast(F, p[pOff + j]));
                        c0 = FV.cast(FloatVector.fromArray(F, vCache, v)).fma(b, c0);
                        c1 = FV.cast(FloatVector.fromArray(F, vCache, v + L)).fma(b, c1);
                        c2 = FV.cast(FloatVector.fromArray(F, vCache, v + 2 * L)).fma(b, c2);
                        c3 = FV.cast(FloatVector.fromArray(F, vCache, v + 3 * L)).fma(b, c3);
                    }
                }
                c0.intoArray(out, outOff + e);
                c1.intoArray(out, outOff + e + L);
                c2.intoArray(out, outOff + e + 2 * L);
                c3.intoArray(out, outOff + e + 3 * L);
            }
            for (; e + L <= headDim; e += L) {
                FloatVector c = FV.cast(FloatVector.zero(F));
                for (int j0 = 0; j0 < len; j0 += blockSize) {
                    int v = (step.block(slot, j0, blockSize) * heads + h) * blockSize * headDim + e;
                    for (int j = j0, end = Math.min(len, j0 + blockSize); j < end; j++, v += headDim) {
                        c = FV.cast(FloatVector.fromArray(F, vCache, v)).fma(FV.cast(FloatVector.broadcast(F, p[pOff + j])), c);
                    }
                }
                c.intoArray(out, outOff + e);
            }
        }
        for (; e < headDim; e++) {
            float c = 0f;
            for (int j = 0; j < len; j++) {
                c = Math.fma(vCache[((step.block(slot, j, blockSize) * heads + h) * blockSize + j % blockSize) * headDim + e], p[pOff + j], c);
            }
            out[outOff + e] = c;
        }
    }

    /** {@code s[j] = scale * s[j] + slope * j}; returns the maximum. */
    private static float scaleAddBiasAndMax(float[] s, int base, int len, float scale, float slope) {
        int j = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (Vectors.ENABLED) {
            FloatVector m = FV.cast(FloatVector.broadcast(F, Float.NEGATIVE_INFINITY));
            FloatVector slopes = IOTA.mul(slope);
            for (int bound = F.loopBound(len); j < bound; j += L) {
                FloatVector v = FV.cast(FloatVector.fromArray(F, s, base + j)).mul(scale).add(slopes.add(slope * j));
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

    /** e^(s[j] - max) in place over the row; returns their sum. {@code s[tmp..]} holds L floats of scratch. */
    private static float expAndSum(float[] s, int base, int len, float max, int tmp) {
        int j = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            int bound = F.loopBound(len);
            // Two passes: no vector is live across expAt, a call C2 might not inline (such a vector is boxed).
            for (; j < bound; j += L) {
                FV.cast(FloatVector.fromArray(F, s, base + j)).sub(max).intoArray(s, base + j);
                Vectors.expAt(s, base + j);
            }
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int i = 0; i < bound; i += L) acc = acc.add(FV.cast(FloatVector.fromArray(F, s, base + i)));
            // lanes through memory, summed in Vectors.sumAt's order (a shuffle tree in registers was boxed in some JVMs)
            acc.intoArray(s, tmp);
            sum = Vectors.sumAt(s, tmp);
        }
        for (; j < len; j++) {
            s[base + j] = Vectors.exp(s[base + j] - max);
            sum += s[base + j];
        }
        return sum;
    }
}
