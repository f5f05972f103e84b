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
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) {
            int r = i / cols;
            int c = i - r * cols;
            out.set(i, decode.get(table.get(tokens.get(r) * cols + c) & 0xFFFF));
        }
    }
}
