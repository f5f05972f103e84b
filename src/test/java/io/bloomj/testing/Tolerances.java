package io.bloomj.testing;

import io.bloomj.tensor.DType;

/**
 * Tolerances derived from the arithmetic, not picked: a result is within
 * {@code tol * (1 + |expected|)} of a double-precision reference, where {@code tol} follows from
 * the machine epsilon of the dtype the arithmetic rounds to and the number of terms summed.
 * Rounding errors of a sum of k terms grow like sqrt(k) when they are independent (the usual case;
 * the factor 8 leaves room for unlucky cancellation and for libm's few-ulp exp/tanh).
 */
public final class Tolerances {
    private Tolerances() {}

    /** Machine epsilon: the gap between 1 and the next representable number. */
    public static double eps(DType d) {
        return switch (d) {
            case F32 -> 0x1.0p-23;
            case F16 -> 0x1.0p-10;
            case BF16 -> 0x1.0p-7;
            case Q8_0 -> 0x1.0p-7;   // int8 of a block scaled to 127: steps of 1/127 of the largest value
        };
    }

    /** fp32 accumulation of {@code terms} products of inputs exact in their dtype (the kernels' contract). */
    public static double fp32Sum(int terms) {
        return 8 * eps(DType.F32) * Math.sqrt(Math.max(terms, 64));
    }

    /** As {@link #fp32Sum}, after one input of each product was rounded to {@code d} (tensor-core GEMMs round activations to bf16). */
    public static double roundedTo(DType d, int terms) {
        return 2 * eps(d) + fp32Sum(terms);
    }
}
