package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;

/**
 * BLOOM's tanh GELU, {@code x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x^2)))}, with the
 * constants of transformers' {@code bloom_gelu_forward}, computed as the equal
 * {@code x / (1 + exp(-2u))} ({@code u} the tanh's argument: {@code 0.5 (1 + tanh u)} is the
 * logistic function of {@code 2u}), which loses nothing to cancellation, with {@link Vectors#expAt}:
 * an element gets the same bits in a vector or in a loop's tail, whichever rows share its step.
 */
final class GeluKernel {
    static final float SQRT_2_OVER_PI = 0.79788456f;
    static final float COEFF = 0.044715f;

    private GeluKernel() {}

    /** GELU of {@code x[from..to)} into {@code y} (which may be {@code x}); {@code tmp} holds at least {@code L} floats. */
    static void range(float[] x, float[] y, int from, int to, float[] tmp) {
        int i = from;
        if (Vectors.ENABLED) {
            for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
                // exp goes through tmp and x is loaded again after it: no vector is live across a call
                // that C2 might not inline (such a vector is boxed), and y may be x.
                FloatVector u = FV.cast(FloatVector.fromArray(F, x, i));
                u.mul(u).mul(COEFF).add(1f).mul(u).mul(-2f * SQRT_2_OVER_PI).intoArray(tmp, 0);
                Vectors.expAt(tmp, 0);
                FloatVector v = FV.cast(FloatVector.fromArray(F, x, i));
                v.div(FV.cast(FloatVector.fromArray(F, tmp, 0)).add(1f)).intoArray(y, i);
            }
        }
        for (; i < to; i++) {
            float v = x[i];
            y[i] = v / (Vectors.exp((v * v * COEFF + 1f) * v * (-2f * SQRT_2_OVER_PI)) + 1f);
        }
    }
}
