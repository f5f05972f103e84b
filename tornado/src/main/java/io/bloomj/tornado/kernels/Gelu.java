package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** BLOOM's tanh GELU, {@code x * 0.5 * (1 + tanh(0.79788456 x (1 + 0.044715 x^2)))}. */
public final class Gelu {
    private Gelu() {}

    static float bloomGelu(float v) {
        return v * 0.5f * (1f + TornadoMath.tanh(0.79788456f * v * (1f + 0.044715f * v * v)));
    }

    /** Over the step's rows (global size rows x cols). */
    public static void gelu(KernelContext ctx, FloatArray x, FloatArray y, int cols, IntArray step) {
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) y.set(i, bloomGelu(x.get(i)));
    }

    /** In place (TornadoVM cannot take one array as two arguments). */
    public static void geluInPlace(KernelContext ctx, FloatArray y, int cols, IntArray step) {
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) y.set(i, bloomGelu(y.get(i)));
    }
}
