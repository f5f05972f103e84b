package io.bloomj.compute.cpu;

import io.bloomj.tensor.Weight;

/**
 * Logits of the step's last {@code logitRows} rows: the GEMV/GEMM of {@link MatmulKernel} over the
 * vocabulary-sized (tied) embedding table, reading only the input rows that need logits.
 */
final class LmHeadKernel {
    private LmHeadKernel() {}

    /** Vocabulary rows {@code [o0, o1)} of the logits of input rows {@code [rows - logitRows, rows)}. */
    static void range(Weight table, float[] in, int rows, int logitRows, float[] logits, int ldLogits, int o0, int o1, float[] scratch) {
        int xOff = (rows - logitRows) * table.cols();
        MatmulKernel.run(table, null, in, xOff, logitRows, logits, 0, ldLogits, o0, o1, scratch);
    }
}
