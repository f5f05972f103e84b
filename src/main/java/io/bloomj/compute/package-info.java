/**
 * The compute layer's vocabulary: {@link io.bloomj.compute.Op ops} over named
 * {@link io.bloomj.compute.Buffer buffers} and weights ({@link io.bloomj.tensor.Weight}), assembled
 * into a {@link io.bloomj.compute.Graph}, which a {@link io.bloomj.compute.Backend} turns into an
 * {@link io.bloomj.compute.ExecutionPlan} run once per {@link io.bloomj.compute.Step}. Backends are
 * found through {@link io.bloomj.compute.BackendProvider}s ({@link io.bloomj.compute.Backends}).
 * Nothing here knows about BLOOM. Sub-packages: {@code device} (the lowering, memory plan and
 * recorded plan every device backend shares) and one package per backend ({@code cpu},
 * {@code opencl}, {@code cuda}), which never import each other or the engine (ArchitectureTest).
 */
package io.bloomj.compute;
