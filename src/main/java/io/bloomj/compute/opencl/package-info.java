/**
 * The OpenCL backend: libOpenCL through java.lang.foreign, kernels from {@code kernels/opencl}
 * compiled per device (binaries cached) and checked against their declarations
 * ({@code ClSignatures}), and the binding of each lowered kernel to them ({@code OpenClPlan}).
 * Lowering, memory planning, residency and the step loop are {@code compute.device}'s.
 */
package io.bloomj.compute.opencl;
