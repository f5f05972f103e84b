package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** LayerNorm of each row, two passes (mean, then variance of the centred values) as torch does. */
public final class LayerNorm {
    private LayerNorm() {}

    /** Work-group size: one work-group of this many per row. */
    public static final int GROUP = 64;

    public static void layerNorm(KernelContext ctx, FloatArray x, FloatArray gamma, FloatArray beta, FloatArray y, int cols, float eps) {
        int base = ctx.groupIdx * cols;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] red = ctx.allocateFloatLocalArray(64);
        float s = 0f;
        for (int c = lid; c < cols; c += n) s += x.get(base + c);
        red[lid] = s;
        ctx.localBarrier();
        for (int k = n / 2; k > 0; k >>= 1) {
            if (lid < k) red[lid] += red[lid + k];
            ctx.localBarrier();
        }
        float mean = red[0] / cols;
        ctx.localBarrier();
        float v = 0f;
        for (int c = lid; c < cols; c += n) {
            float d = x.get(base + c) - mean;
            v += d * d;
        }
        red[lid] = v;
        ctx.localBarrier();
        for (int k = n / 2; k > 0; k >>= 1) {
            if (lid < k) red[lid] += red[lid + k];
            ctx.localBarrier();
        }
        float inv = 1f / TornadoMath.sqrt(red[0] / cols + eps);
        for (int c = lid; c < cols; c += n) y.set(base + c, (x.get(base + c) - mean) * inv * gamma.get(c) + beta.get(c));
    }
}
