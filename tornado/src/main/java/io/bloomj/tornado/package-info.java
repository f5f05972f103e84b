/**
 * The TornadoVM backend ({@code --backend tornado}): the graph lowered once by
 * {@link io.bloomj.compute.device.Lowering}, each kernel record bound to a task of a TornadoVM task
 * graph whose kernels are the Java methods of {@link io.bloomj.tornado.kernels}; weights resident on
 * the device in their checkpoint dtype, activations and the KV cache kept there, per-step inputs
 * (token ids, row tables, sampling values) sent every step and only the chosen tokens read back.
 * Registered through {@link io.bloomj.compute.BackendProvider}, so it appears in {@code bloomj devices}
 * when its jar and the TornadoVM SDK are on the path.
 */
package io.bloomj.tornado;
