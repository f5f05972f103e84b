package io.bloomj.compute.cpu;

import io.bloomj.tensor.Weight;

/** {@code out[r] = table[tokens[r]]}, widened to fp32 straight from the mapped checkpoint. */
final class EmbeddingKernel {
    private EmbeddingKernel() {}

    static void rows(Weight table, int[] tokens, float[] out) {
        int cols = table.cols();
        int vocab = table.rows();
        for (int r = 0; r < tokens.length; r++) {
            int t = tokens[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " outside [0, " + vocab + ")");
            MatmulKernel.widenRow(table, t, 0, cols, out, r * cols);
        }
    }
}
