package io.bloomj.compute.cpu;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;
import jdk.incubator.vector.FloatVector;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;

/**
 * The prompt-row (prefill) half of {@link MatmulKernel}: {@code y[r, o] += sum_i W[o, i] * x[r, i]}
 * for many rows, compute-bound, as outer products in registers.
 *
 * <p>Per block of input rows ({@link #rowsPerBlock}), x is transposed once into scratch ({@code xt[i][r]},
 * rows padded with zeros to whole vectors) and each group of {@link #MR} weight rows is widened to
 * fp32 once into a panel; a tile then runs over the whole k with its sums in registers. The register tile is 6 weight rows x
 * 2 vectors of input rows: per k step, two vector loads of x, six broadcasts of weights and twelve
 * FMAs into twelve accumulators (15 registers, within AVX2's 16). No horizontal sums: lane r of
 * accumulator j is output {@code (r, o + j)}.
 * <pre>
 *            xt[i][r .. r + 2L)          (two vectors)
 *   W[o+0][i] (broadcast)  ->  c00 c01
 *   ...                        ...
 *   W[o+5][i] (broadcast)  ->  c50 c51
 * </pre>
 * This replaced 4x4 tiles of inner products (a vector accumulator per output, summed across lanes
 * at the end), which need 21 vector registers and spill on AVX2: 22 against 45 GMAC/s per AMD Zen 2
 * core in isolation.
 *
 * <p>Every output is its bias plus one fma chain over i in order, whatever the tile it falls in (full 6-row tiles, leftover weight rows, one- or two-vector row groups, the scalar
 * path): a row's result never depends on how many rows share the step.
 */
final class MatmulGemm {
    /** Most input rows per block (their transposed x is shared by every panel of the block). */
    static final int MC = 64;
    /** Weight rows per register tile. */
    static final int MR = 6;

    private MatmulGemm() {}

    /** Scratch floats each thread needs for rows of {@code k} values: the transposed x block, the panel and the tile sums. */
    static int scratchFloats(int k) {
        return (rowsPerBlock(k) + MR) * k + 2 * MR * L;
    }

    /**
     * Rows per block for rows of k values: as many as keep the transposed block within 512 KiB (an
     * L2 of AMD Zen 2), whole pairs of vectors, at most {@link #MC}. Measured at 128 x k x n on one
     * Zen 2 core: 64 rows best for k = 1024 (31 GMAC/s), 32 for k = 2560 and 4096 (30 and 27, against
     * 25 and 23 with 64).
     */
    static int rowsPerBlock(int k) {
        int pair = 2 * L;
        return Math.max(pair, Math.min(MC, 131072 / Math.max(1, k) / pair * pair));
    }

    /** Output columns {@code [o0, o1)} of {@code n} rows (row r of x at {@code xOff + r * k}, of y at {@code yOff + r * ldy}). */
    static void gemm(Weight w, float[] bias, float[] x, int xOff, int n, int k, float[] y, int yOff, int ldy, int o0, int o1,
                     float[] scratch) {
        int mc = rowsPerBlock(k);
        // Q8_0 rows widen fastest a block (one int vector) at a time into Q8Gemv's lane order; x is
        // transposed in the same order, so each output's chain still takes every term once.
        boolean q8 = w.dtype() == DType.Q8_0 && Q8Gemv.supported(k);
        for (int rb = 0; rb < n; rb += mc) {
            int rn = Math.min(mc, n - rb);
            int rp = Vectors.ENABLED ? (rn + L - 1) / L * L : rn;
            int panel = rp * k, acc = panel + MR * k;
            transpose(x, xOff + rb * k, k, rn, rp, q8 ? k / Q8_0.BLOCK * Q8_0.BLOCK : 0, scratch);
            for (int o = o0; o < o1; o += MR) {
                int m = Math.min(MR, o1 - o);
                for (int j = 0; j < m; j++) {
                    if (q8) Q8Gemv.widenRowInLaneOrder(w, o + j, scratch, panel + j * k);
                    else MatmulKernel.widenRow(w, o + j, 0, k, scratch, panel + j * k);
                }
                block(scratch, k, panel, acc, rn, rp, m, bias, o, y, yOff + rb * ldy + o, ldy);
            }
        }
    }

    /**
     * {@code xt[i * rp + r] = x[r, i]} for the block's rows, zeros for the padding rows {@code [rn, rp)};
     * the first {@code laneOrder} columns (whole Q8_0 blocks) in {@link Q8Gemv#widenRowInLaneOrder}'s order.
     */
    private static void transpose(float[] x, int xAt, int k, int rn, int rp, int laneOrder, float[] xt) {
        for (int r = 0; r < rn; r++) {
            int src = xAt + r * k;
            for (int i = 0; i < laneOrder; i++) xt[Q8Gemv.laneOrder(i) * rp + r] = x[src + i];
            for (int i = laneOrder; i < k; i++) xt[i * rp + r] = x[src + i];
        }
        for (int r = rn; r < rp; r++) {
            for (int i = 0; i < k; i++) xt[i * rp + r] = 0f;
        }
    }

    /** The m (at most MR) widened weight rows of the panel against every row of the transposed block. */
    private static void block(float[] s, int k, int panel, int acc, int rn, int rp, int m, float[] bias, int o, float[] y, int yAt,
                              int ldy) {
        if (!Vectors.ENABLED) {
            for (int j = 0; j < m; j++) {
                for (int r = 0; r < rn; r++) {
                    float c = 0f;
                    for (int i = 0; i < k; i++) c = Math.fma(s[i * rp + r], s[panel + j * k + i], c);
                    y[yAt + r * ldy + j] = (bias == null ? 0f : bias[o + j]) + c;
                }
            }
            return;
        }
        int r = 0;
        for (; r + 2 * L <= rp; r += 2 * L) {
            if (m == MR) tile6x2(s, k, rp, r, panel, acc);
            else for (int j = 0; j < m; j++) tile1x2(s, k, rp, r, panel + j * k, acc + 2 * j * L);
            store(s, acc, m, 2, r, rn, bias, o, y, yAt, ldy);
        }
        if (r < rp) {   // one vector of rows left
            for (int j = 0; j < m; j++) tile1x1(s, k, rp, r, panel + j * k, acc + 2 * j * L);
            store(s, acc, m, 1, r, rn, bias, o, y, yAt, ldy);
        }
    }

    /**
     * Writes {@code bias + sum} to y for the real rows: accumulator lanes at {@code s[acc + (2j + v) * L + l]} are weight
     * row j, row {@code r + v * L + l}. Once per tile for the whole k: with a power-of-two ldy, the tile's rows fall in one
     * cache set, and adding to y after every k-block made these stores as slow as the FMAs.
     */
    private static void store(float[] s, int acc, int m, int vectors, int r, int rn, float[] bias, int o, float[] y, int yAt,
                              int ldy) {
        for (int j = 0; j < m; j++) {
            float b = bias == null ? 0f : bias[o + j];
            for (int v = 0; v < vectors; v++) {
                int base = acc + (2 * j + v) * L, r0 = r + v * L;
                for (int l = 0; l < L && r0 + l < rn; l++) y[yAt + (r0 + l) * ldy + j] = b + s[base + l];
            }
        }
    }

    /** The register tile: six weight rows x two vectors of rows; kept small so C2 keeps all twelve accumulators in registers. */
    private static void tile6x2(float[] s, int kc, int rp, int r, int panel, int acc) {
        FloatVector c00 = FV.cast(FloatVector.zero(F)), c01 = FV.cast(FloatVector.zero(F)), c10 = FV.cast(FloatVector.zero(F)), c11 = FV.cast(FloatVector.zero(F));
        FloatVector c20 = FV.cast(FloatVector.zero(F)), c21 = FV.cast(FloatVector.zero(F)), c30 = FV.cast(FloatVector.zero(F)), c31 = FV.cast(FloatVector.zero(F));
        FloatVector c40 = FV.cast(FloatVector.zero(F)), c41 = FV.cast(FloatVector.zero(F)), c50 = FV.cast(FloatVector.zero(F)), c51 = FV.cast(FloatVector.zero(F));
        int p0 = panel, p1 = p0 + kc, p2 = p1 + kc, p3 = p2 + kc, p4 = p3 + kc, p5 = p4 + kc;
        for (int i = 0; i < kc; i++) {
            int at = i * rp + r;
            FloatVector x0 = FV.cast(FloatVector.fromArray(F, s, at)), x1 = FV.cast(FloatVector.fromArray(F, s, at + L));
            FloatVector b = FV.cast(FloatVector.broadcast(F, s[p0 + i]));
            c00 = x0.fma(b, c00); c01 = x1.fma(b, c01);
            b = FV.cast(FloatVector.broadcast(F, s[p1 + i]));
            c10 = x0.fma(b, c10); c11 = x1.fma(b, c11);
            b = FV.cast(FloatVector.broadcast(F, s[p2 + i]));
            c20 = x0.fma(b, c20); c21 = x1.fma(b, c21);
            b = FV.cast(FloatVector.broadcast(F, s[p3 + i]));
            c30 = x0.fma(b, c30); c31 = x1.fma(b, c31);
            b = FV.cast(FloatVector.broadcast(F, s[p4 + i]));
            c40 = x0.fma(b, c40); c41 = x1.fma(b, c41);
            b = FV.cast(FloatVector.broadcast(F, s[p5 + i]));
            c50 = x0.fma(b, c50); c51 = x1.fma(b, c51);
        }
        c00.intoArray(s, acc); c01.intoArray(s, acc + L); c10.intoArray(s, acc + 2 * L); c11.intoArray(s, acc + 3 * L);
        c20.intoArray(s, acc + 4 * L); c21.intoArray(s, acc + 5 * L); c30.intoArray(s, acc + 6 * L); c31.intoArray(s, acc + 7 * L);
        c40.intoArray(s, acc + 8 * L); c41.intoArray(s, acc + 9 * L); c50.intoArray(s, acc + 10 * L); c51.intoArray(s, acc + 11 * L);
    }

    /** One widened weight row (at p) x two vectors of rows, with {@link #tile6x2}'s arithmetic per output. */
    private static void tile1x2(float[] s, int kc, int rp, int r, int p, int acc) {
        FloatVector c0 = FV.cast(FloatVector.zero(F)), c1 = FV.cast(FloatVector.zero(F));
        for (int i = 0; i < kc; i++) {
            int at = i * rp + r;
            FloatVector b = FV.cast(FloatVector.broadcast(F, s[p + i]));
            c0 = FV.cast(FloatVector.fromArray(F, s, at)).fma(b, c0);
            c1 = FV.cast(FloatVector.fromArray(F, s, at + L)).fma(b, c1);
        }
        c0.intoArray(s, acc);
        c1.intoArray(s, acc + L);
    }

    /** One widened weight row (at p) x one vector of rows, with {@link #tile6x2}'s arithmetic per output. */
    private static void tile1x1(float[] s, int kc, int rp, int r, int p, int acc) {
        FloatVector c = FV.cast(FloatVector.zero(F));
        for (int i = 0; i < kc; i++) c = FV.cast(FloatVector.fromArray(F, s, i * rp + r)).fma(FV.cast(FloatVector.broadcast(F, s[p + i])), c);
        c.intoArray(s, acc);
    }
}
