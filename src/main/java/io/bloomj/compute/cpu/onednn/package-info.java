/**
 * oneDNN, bound through java.lang.foreign, for {@code --matmul bf16}: prompt rows' matmuls with
 * bf16-rounded activations on the CPU's bf16 dot-product instructions, which the Java Vector API
 * cannot emit. The exact Java kernels in {@link io.bloomj.compute.cpu} stay the default.
 */
package io.bloomj.compute.cpu.onednn;
