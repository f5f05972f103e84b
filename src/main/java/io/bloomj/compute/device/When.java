package io.bloomj.compute.device;

import io.bloomj.compute.Step;

/** Which steps a launch runs in. Decided by the lowering, so every device backend switches variants at the same point. */
public enum When {
    /** Every step. */
    ALWAYS,
    /**
     * Steps with decode rows ({@link Step#decodeRows()}): the GEMV variant of a matmul runs over
     * them. A row's kind, not the step's size, picks its arithmetic, so a sequence computes the
     * same bits alone or batched.
     */
    DECODE_ROWS,
    /** Steps with prompt rows (after the decode rows): the GEMM variant runs over them. */
    PROMPT_ROWS,
    /** Steps that draw a token on the device (some {@link Step#samplings()} set). */
    SAMPLING;

    public boolean test(Step s) {
        return switch (this) {
            case ALWAYS -> true;
            case DECODE_ROWS -> s.decodeRows() > 0;
            case PROMPT_ROWS -> s.rows() > s.decodeRows();
            case SAMPLING -> s.samples();
        };
    }
}
