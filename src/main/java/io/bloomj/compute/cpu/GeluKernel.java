package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;

/**
 * BLOOM's tanh GELU, {@code x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x^2)))}, with the
 * constants of transformers' {@code bloom_gelu_forward}. The vector TANH maps to a vectorised math
 * library; a scalar Math.tanh per element would cost milliseconds per token.
 */
final class GeluKernel {
    static final float SQRT_2_OVER_PI = 0.79788456f;
    static final float COEFF = 0.044715f;

    private GeluKernel() {}

    static void range(float[] x, float[] y, int from, int to) {
        int i = from;
        if (Vectors.ENABLED) {
            for (int bound = from + F.loopBound(to - from); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                FloatVector inner = v.mul(v).mul(COEFF).add(1f).mul(v).mul(SQRT_2_OVER_PI);
                v.mul(0.5f).mul(inner.lanewise(VectorOperators.TANH).add(1f)).intoArray(y, i);
            }
        }
        for (; i < to; i++) {
            float v = x[i];
            y[i] = v * 0.5f * (1f + (float) Math.tanh(SQRT_2_OVER_PI * v * (1f + COEFF * v * v)));
        }
    }
}
