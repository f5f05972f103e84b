package io.bloomj.compute.device;

import io.bloomj.compute.Step;

/** Which steps a launch runs in. Decided by the lowering, so every device backend switches variants at the same point. */
public enum When {
    /** Every step. */
    ALWAYS,
    /** Steps of at most {@link #GEMV_MAX_ROWS} rows (decode): the GEMV variant of a matmul. */
    FEW_ROWS,
    /** Steps of more rows (prefill): the GEMM variant. */
    MANY_ROWS,
    /** Steps that draw a token on the device ({@link Step#sampling()} set). */
    SAMPLING;

    /** Rows up to which a matmul runs as GEMV launches rather than a tiled GEMM. */
    public static final int GEMV_MAX_ROWS = 2;

    public boolean test(Step s) {
        return switch (this) {
            case ALWAYS -> true;
            case FEW_ROWS -> s.rows() <= GEMV_MAX_ROWS;
            case MANY_ROWS -> s.rows() > GEMV_MAX_ROWS;
            case SAMPLING -> s.sampling() != null;
        };
    }
}
