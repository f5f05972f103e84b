/**
 * The OpenCL backend: libOpenCL through java.lang.foreign, kernels from {@code kernels/opencl}
 * compiled per device (binaries cached), weights resident, the step recorded as a launch list.
 */
package io.bloomj.compute.opencl;
