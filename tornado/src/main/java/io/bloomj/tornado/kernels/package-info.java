/**
 * bloomj's kernels as Java methods that TornadoVM compiles to OpenCL C or PTX at run time: one class
 * per op family, named as everywhere else in bloomj ({@code embedding}, {@code layer_norm},
 * {@code matmul}, {@code lm_head}, {@code argmax}, {@code gelu}, {@code add}, {@code kv_store},
 * {@code alibi_attention}, {@code sample}). They read the same layouts as kernels/opencl and
 * kernels/cuda: row tables for positions and KV blocks, weights in their checkpoint dtype.
 *
 * <p>Rules TornadoVM sets, kept by every method here:
 * <ul>
 *   <li>Scalar arguments are compiled in as constants, so anything that changes per step (rows,
 *       positions, sampling values) is read from an {@code IntArray}/{@code FloatArray}; the step
 *       array holds {@code [rows, decode rows, logit rows]}.</li>
 *   <li>{@code Float.intBitsToFloat} has no code generator, so 16-bit weights (bf16, f16) are decoded
 *       through a 65536-entry table of their exact float values ({@link Weights16#decode}).</li>
 *   <li>Local arrays have constant sizes; work-group sizes are powers of two no larger than them.</li>
 *   <li>{@code >>>} on longs compiles to an arithmetic shift: shifts are masked instead.</li>
 * </ul>
 */
package io.bloomj.tornado.kernels;
