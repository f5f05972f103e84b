/**
 * The CUDA backend: the CUDA driver API through java.lang.foreign, PTX from {@code kernels/cuda}
 * built by nvcc at build time, the binding of each lowered kernel to them ({@code CudaPlan},
 * arguments declared in {@code CudaSignatures}) and decode steps replayed as CUDA graphs.
 * Lowering, memory planning, residency and the step loop are {@code compute.device}'s.
 */
package io.bloomj.compute.cuda;
