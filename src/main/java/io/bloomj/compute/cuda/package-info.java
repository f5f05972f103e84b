/**
 * The CUDA backend: the CUDA driver API through java.lang.foreign, PTX from {@code kernels/cuda}
 * built by nvcc at build time, weights resident on the GPU, decode steps replayed as CUDA graphs.
 */
package io.bloomj.compute.cuda;
