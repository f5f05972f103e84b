package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

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
}
