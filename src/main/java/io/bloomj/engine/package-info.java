/**
 * The BLOOM forward pass as a {@link io.bloomj.compute.Graph} ({@link io.bloomj.engine.BloomGraph}),
 * token sequences with their KV cache ({@link io.bloomj.engine.Sequence}) and token selection
 * ({@link io.bloomj.engine.Sampler}). Works on token ids only: the engine never sees text.
 */
package io.bloomj.engine;
