package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/** {@code out[r] = table[tokens[r]]} for the step's rows. */
public final class Embedding {
    private Embedding() {}

    /** One work-item per element of the step's rows (global size rows x cols). */
    public static void embedding(KernelContext ctx, ShortArray table, FloatArray decode, IntArray tokens, FloatArray out, int cols, IntArray step) {
        int mb = (int) decode.get(1024);
        int mask = (1 << mb) - 1;
        float ulp = 1f / (1 << mb);
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) {
            int r = i / cols;
            int c = i - r * cols;
            out.set(i, Weights16.value(decode, table.get(tokens.get(r) * cols + c), mb, mask, ulp));
        }
    }
}
