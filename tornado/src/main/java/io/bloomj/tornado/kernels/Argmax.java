package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Argmax of each logits row, ties to the lowest index (torch.argmax), written as a float token id. */
public final class Argmax {
    private Argmax() {}

    public static final int GROUP = 256;

    /** One work-group per logits row. */
    public static void argmax(KernelContext ctx, FloatArray logits, FloatArray token, int vocab) {
        int r = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] bv = ctx.allocateFloatLocalArray(256);
        int[] bi = ctx.allocateIntLocalArray(256);
        float best = Float.NEGATIVE_INFINITY;
        int idx = -1;
        for (int i = lid; i < vocab; i += n) {
            float v = logits.get(r * vocab + i);
            if (idx < 0 || v > best) {
                best = v;
                idx = i;
            }
        }
        bv[lid] = best;
        bi[lid] = idx;
        ctx.localBarrier();
        for (int k = n / 2; k > 0; k >>= 1) {
            if (lid < k) {
                int j = bi[lid + k];
                if (j >= 0 && (bi[lid] < 0 || bv[lid + k] > bv[lid] || (bv[lid + k] == bv[lid] && j < bi[lid]))) {
                    bv[lid] = bv[lid + k];
                    bi[lid] = j;
                }
            }
            ctx.localBarrier();
        }
        if (lid == 0) token.set(r, bi[0]);
    }

    /** The argmax of each logits row from the fused LM head's per-group candidates (ties to the lowest index); a work-item per row. */
    public static void argmaxFinal(KernelContext ctx, FloatArray pval, IntArray pidx, FloatArray token, int groups, IntArray step) {
        int r = ctx.globalIdx;
        if (r < step.get(2)) {
            float best = pval.get(r * groups);
            int idx = pidx.get(r * groups);
            for (int g = 1; g < groups; g++) {
                float v = pval.get(r * groups + g);
                int j = pidx.get(r * groups + g);
                if (v > best || (v == best && j < idx)) {
                    best = v;
                    idx = j;
                }
            }
            token.set(r, idx);
        }
    }
}
