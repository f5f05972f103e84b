package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Causal attention with ALiBi over the KV pool: for head h and row r at p = rowpos[r],
 * score[j] = scale * q.k[j] + slope[h] * j for j <= p, softmax in fp32, out = sum softmax[j] v[j].
 * One work-group per (head, row) walks the row's keys in chunks of its size: each work-item scores
 * one key of the chunk, the group takes the chunk's max and sum, and the running (max, sum,
 * accumulator) is rescaled as in flash attention. The chunks start at absolute key indexes, so a
 * row's bits do not depend on the other rows of its step.
 */
public final class AlibiAttention {
    private AlibiAttention() {}

    /** Work-group size, and the largest head size (the query and accumulator live in local memory). */
    public static final int GROUP = 64;
    public static final int MAX_HEAD_DIM = 256;

    public static void alibiAttention(KernelContext ctx, FloatArray q, FloatArray kc, FloatArray vc, FloatArray out, FloatArray slopes,
                                      int heads, int hd, int bs, float scale, IntArray rowpos, IntArray rowtab, IntArray table) {
        int g = ctx.groupIdx;
        int r = g / heads;
        int h = g - r * heads;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] qs = ctx.allocateFloatLocalArray(256);
        float[] acc = ctx.allocateFloatLocalArray(256);
        float[] ps = ctx.allocateFloatLocalArray(64);
        float[] red = ctx.allocateFloatLocalArray(64);
        int width = heads * hd;
        int len = rowpos.get(r) + 1;
        int base = rowtab.get(r);
        float slope = slopes.get(h);
        for (int d = lid; d < hd; d += n) {
            qs[d] = q.get(r * width + h * hd + d);
            acc[d] = 0f;
        }
        ctx.localBarrier();
        float m = Float.NEGATIVE_INFINITY;
        float l = 0f;
        for (int first = 0; first < len; first += n) {
            int j = first + lid;
            float s = Float.NEGATIVE_INFINITY;
            if (j < len) {
                int block = table.get(base + j / bs);
                int kt = (block * heads + h) * hd * bs + (j - (j / bs) * bs);
                float dot = 0f;
                for (int d = 0; d < hd; d++) dot += qs[d] * kc.get(kt + d * bs);
                s = scale * dot + slope * j;
            }
            red[lid] = s;
            ctx.localBarrier();
            for (int k = n / 2; k > 0; k >>= 1) {
                if (lid < k) red[lid] = TornadoMath.max(red[lid], red[lid + k]);
                ctx.localBarrier();
            }
            float mn = TornadoMath.max(m, red[0]);
            ctx.localBarrier();
            float p = j < len ? TornadoMath.exp(s - mn) : 0f;
            ps[lid] = p;
            red[lid] = p;
            ctx.localBarrier();
            for (int k = n / 2; k > 0; k >>= 1) {
                if (lid < k) red[lid] += red[lid + k];
                ctx.localBarrier();
            }
            float corr = first == 0 ? 0f : TornadoMath.exp(m - mn);
            int count = TornadoMath.min(n, len - first);
            for (int d = lid; d < hd; d += n) {
                float a = 0f;
                for (int t = 0; t < count; t++) {
                    int key = first + t;
                    int block = table.get(base + key / bs);
                    a += ps[t] * vc.get(((block * heads + h) * bs + (key - (key / bs) * bs)) * hd + d);
                }
                acc[d] = acc[d] * corr + a;
            }
            l = l * corr + red[0];
            m = mn;
            ctx.localBarrier();
        }
        for (int d = lid; d < hd; d += n) out.set(r * width + h * hd + d, acc[d] / l);
    }
}
