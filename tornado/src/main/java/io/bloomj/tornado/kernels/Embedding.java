package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/** {@code out[r] = table[tokens[r]]} for the step's rows. */
public final class Embedding {
    private Embedding() {}

    /** One work-item per element of the step's rows (global size rows x cols). */
    public static void embedding(KernelContext ctx, ShortArray table, ByteArray q, ShortArray qs, int q8, FloatArray decode, IntArray tokens,
                                 FloatArray out, int cols, IntArray step) {
        int mb = (int) decode.get(1024);
        int mask = (1 << mb) - 1;
        float ulp = 1f / (1 << mb);
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) {
            int r = i / cols;
            int c = i - r * cols;
            out.set(i, Weights16.weight(table, q, qs, decode, q8, tokens.get(r), c, cols, mb, mask, ulp));
        }
    }
}
