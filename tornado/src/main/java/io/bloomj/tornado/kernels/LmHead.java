package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/** Logits of the step's rows that need them: logits row i = table . x row logitrows[i] (the tied embedding). */
public final class LmHead {
    private LmHead() {}

    /** One work-group of {@link Matmul#GEMV_GROUP} per vocabulary row, as the GEMV. */
    public static void lmHead(KernelContext ctx, ShortArray table, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray x, FloatArray logits, IntArray logitrows,
                              int K, int vocab, IntArray step) {
        int o = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] red = ctx.allocateFloatLocalArray(32);
        int rows = step.get(2);
        for (int i = 0; i < rows; i++) {
            red[lid] = Weights16.dotStrided(table, q, qs, decode, q8, o, x, logitrows.get(i) * K, K, lid, n);
            ctx.localBarrier();
            for (int st = n / 2; st > 0; st >>= 1) {
                if (lid < st) red[lid] += red[lid + st];
                ctx.localBarrier();
            }
            if (lid == 0 && o < vocab) logits.set(i * vocab + o, red[0]);
            ctx.localBarrier();
        }
    }

    /** For CPU devices: one work-item per vocabulary row, its sum over k in order, no barriers. */
    public static void lmHeadRows(KernelContext ctx, ShortArray table, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray x, FloatArray logits, IntArray logitrows,
                                  int K, int vocab, IntArray step) {
        int o = ctx.globalIdx;
        if (o < vocab) {
            int rows = step.get(2);
            for (int i = 0; i < rows; i++) {
                int xb = logitrows.get(i) * K;
                // Four independent partial sums (k mod 4, so one iteration's loads do not wait on the
                // previous sum), added in a fixed order. Written out here and in Matmul.gemvRows: as a
                // helper it exceeds TornadoVM's inlining limit (600 nodes).
                int mantissa = (int) decode.get(1024);
                int mask = (1 << mantissa) - 1;
                float ulp = 1f / (1 << mantissa);
                float s0 = 0f;
                float s1 = 0f;
                float s2 = 0f;
                float s3 = 0f;
                int k = 0;
                for (; k + 4 <= K; k += 4) {
                    s0 += Weights16.weight(table, q, qs, decode, q8, o, k, K, mantissa, mask, ulp) * x.get(xb + k);
                    s1 += Weights16.weight(table, q, qs, decode, q8, o, k + 1, K, mantissa, mask, ulp) * x.get(xb + k + 1);
                    s2 += Weights16.weight(table, q, qs, decode, q8, o, k + 2, K, mantissa, mask, ulp) * x.get(xb + k + 2);
                    s3 += Weights16.weight(table, q, qs, decode, q8, o, k + 3, K, mantissa, mask, ulp) * x.get(xb + k + 3);
                }
                for (; k < K; k++) s0 += Weights16.weight(table, q, qs, decode, q8, o, k, K, mantissa, mask, ulp) * x.get(xb + k);
                logits.set(i * vocab + o, (s0 + s1) + (s2 + s3));
            }
        }
    }

    /** Vocabulary rows per work-group of {@link #lmHeadArgmax}: one sub-group of 32 work-items each. */
    public static final int ARGMAX_ROWS = 8;

    /**
     * {@link #lmHead} fused with the first pass of argmax (GPUs): a work-group of 256 takes 8
     * vocabulary rows, a sub-group of 32 per row summing as {@link #lmHead} does (so the logits are
     * the same bits), and leaves the best (value, index) of its rows per logits row in
     * {@code pval}/{@code pidx} [logit rows, groups]; {@link Argmax#argmaxFinal} finishes.
     */
    public static void lmHeadArgmax(KernelContext ctx, ShortArray table, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray x,
                                    FloatArray logits, IntArray logitrows, FloatArray pval, IntArray pidx, int K, int vocab, IntArray step) {
        int lid = ctx.localIdx;
        int sub = lid >> 5;
        int lane = lid & 31;
        int groups = (vocab + 7) >> 3;
        int o = ctx.groupIdx * 8 + sub;
        float[] red = ctx.allocateFloatLocalArray(256);
        float[] bv = ctx.allocateFloatLocalArray(8);
        int[] bi = ctx.allocateIntLocalArray(8);
        int rows = step.get(2);
        for (int i = 0; i < rows; i++) {
            red[lid] = o < vocab ? Weights16.dotStrided(table, q, qs, decode, q8, o, x, logitrows.get(i) * K, K, lane, 32) : 0f;
            ctx.localBarrier();
            for (int st = 16; st > 0; st >>= 1) {
                if (lane < st) red[lid] += red[lid + st];
                ctx.localBarrier();
            }
            if (lane == 0) {
                if (o < vocab) logits.set(i * vocab + o, red[lid]);
                bv[sub] = o < vocab ? red[lid] : Float.NEGATIVE_INFINITY;
                bi[sub] = o;
            }
            ctx.localBarrier();
            if (lid == 0) {
                float best = bv[0];
                int idx = bi[0];
                for (int t = 1; t < 8; t++) {
                    if (bv[t] > best) {   // ties keep the lower index
                        best = bv[t];
                        idx = bi[t];
                    }
                }
                pval.set(i * groups + ctx.groupIdx, best);
                pidx.set(i * groups + ctx.groupIdx, idx);
            }
            ctx.localBarrier();
        }
    }
}
