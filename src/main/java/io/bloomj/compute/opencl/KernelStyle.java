package io.bloomj.compute.opencl;

/**
 * How kernels map work to a device. CPU runtimes (PoCL) turn work-groups into loops, where one
 * work-item per output row and no barriers is fastest; GPUs want a work-group per row with local
 * reductions and attention split over the keys.
 */
public enum KernelStyle {
    /** Chosen from the device type. */
    AUTO,
    /** One work-item per output row, no barriers. */
    CPU,
    /** Work-groups with local-memory reductions, split-key attention. */
    GPU;

    KernelStyle resolve(ClDevice device) {
        return this != AUTO ? this : device.isCpu() ? CPU : GPU;
    }
}
