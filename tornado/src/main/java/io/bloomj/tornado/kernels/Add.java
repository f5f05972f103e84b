package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** {@code out = a + b} over the step's rows. */
public final class Add {
    private Add() {}

    public static void add(KernelContext ctx, FloatArray a, FloatArray b, FloatArray out, int cols, IntArray step) {
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) out.set(i, a.get(i) + b.get(i));
    }

    /** {@code acc += b} (the output is one of the inputs: TornadoVM cannot take one array as two arguments). */
    public static void addInPlace(KernelContext ctx, FloatArray acc, FloatArray b, int cols, IntArray step) {
        int i = ctx.globalIdx;
        if (i < step.get(0) * cols) acc.set(i, acc.get(i) + b.get(i));
    }
}
