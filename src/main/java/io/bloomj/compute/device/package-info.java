/**
 * What every device backend shares, written once. {@link io.bloomj.compute.device.Lowering} turns a
 * graph into {@link io.bloomj.compute.device.Launch}es of typed {@link io.bloomj.compute.device.Kernel}
 * records (fusions chosen from those the backend declares, GEMV or GEMM per step size, bytes read,
 * profile names); {@link io.bloomj.compute.device.DeviceBackend} checks that it fits the device's
 * {@link io.bloomj.compute.device.DeviceMemory} and makes the weights resident
 * ({@link io.bloomj.compute.device.ResidentWeights}); {@link io.bloomj.compute.device.RecordedPlan}
 * runs the steps. A backend only binds each kernel record to its own kernels, with arguments set
 * by name against a {@link io.bloomj.compute.device.KernelSignature}, and launches them.
 */
package io.bloomj.compute.device;
