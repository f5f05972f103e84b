package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;

/** Elementwise sum (residual connections). */
final class AddKernel {
    private AddKernel() {}

    static void range(float[] a, float[] b, float[] out, int from, int to) {
        int i = from;
        if (Vectors.ENABLED) {
            for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
                FV.cast(FloatVector.fromArray(F, a, i)).add(FV.cast(FloatVector.fromArray(F, b, i))).intoArray(out, i);
            }
        }
        for (; i < to; i++) out[i] = a[i] + b[i];
    }
}
