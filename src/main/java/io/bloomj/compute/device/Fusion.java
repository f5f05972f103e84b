package io.bloomj.compute.device;

/**
 * Pairs of ops a device backend can run as one kernel. {@link Lowering} fuses a pair only when the
 * backend declares it and the graph allows it (the intermediate is not read afterwards).
 */
public enum Fusion {
    /** {@code Matmul} then {@code Gelu} in place on its output: the GEMV/GEMM applies GELU as it writes. */
    MATMUL_GELU,
    /** {@code Matmul} then {@code Add} of a residual: the GEMV/GEMM adds the residual as it writes. */
    MATMUL_RESIDUAL,
    /** {@code LmHead} then {@code Argmax}: the LM head leaves per-group argmax candidates as it writes the logits. */
    LM_HEAD_ARGMAX
}
