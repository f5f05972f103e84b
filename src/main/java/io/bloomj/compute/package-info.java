/**
 * The compute layer's vocabulary: {@link io.bloomj.compute.Op ops} over named
 * {@link io.bloomj.compute.Buffer buffers} and {@link io.bloomj.tensor.Weight weights}, assembled
 * into a {@link io.bloomj.compute.Graph}, which a {@link io.bloomj.compute.Backend} turns into an
 * {@link io.bloomj.compute.ExecutionPlan}. Nothing here knows about BLOOM; sub-packages hold one
 * backend each and never import the engine.
 */
package io.bloomj.compute;
