package io.bloomj.compute.cpu;

import io.bloomj.tensor.Weight;

/**
 * Logits of the step's rows that need them: the GEMV of {@link MatmulKernel} over the
 * vocabulary-sized (tied) embedding table, for all those rows at once (gathered first), each with
 * the single-row arithmetic whatever the number of rows.
 */
final class LmHeadKernel {
    private LmHeadKernel() {}

    /** Vocabulary rows {@code [o0, o1)} of the logits of the {@code n} gathered input rows. */
    static void range(Weight table, java.lang.foreign.MemorySegment panels, float[] gathered, int n, float[] packed, float[] logits,
                      int ldLogits, int o0, int o1, float[] scratch) {
        MatmulKernel.run(table, panels, null, gathered, 0, n, n, packed, logits, 0, ldLogits, o0, o1, scratch);
    }
}
