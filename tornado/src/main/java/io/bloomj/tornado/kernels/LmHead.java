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
        int mb = (int) decode.get(1024);
        int mask = (1 << mb) - 1;
        float ulp = 1f / (1 << mb);
        int o = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] red = ctx.allocateFloatLocalArray(32);
        int rows = step.get(2);
        for (int i = 0; i < rows; i++) {
            int xb = logitrows.get(i) * K;
            float s = 0f;
            for (int k = lid; k < K; k += n) s += Weights16.weight(table, q, qs, decode, q8, o, k, K, mb, mask, ulp) * x.get(xb + k);
            red[lid] = s;
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
        int mb = (int) decode.get(1024);
        int mask = (1 << mb) - 1;
        float ulp = 1f / (1 << mb);
        int o = ctx.globalIdx;
        if (o < vocab) {
            int rows = step.get(2);
            for (int i = 0; i < rows; i++) {
                int xb = logitrows.get(i) * K;
                float s = 0f;
                for (int k = 0; k < K; k++) s += Weights16.weight(table, q, qs, decode, q8, o, k, K, mb, mask, ulp) * x.get(xb + k);
                logits.set(i * vocab + o, s);
            }
        }
    }
}
