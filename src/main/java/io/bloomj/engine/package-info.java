/**
 * The BLOOM forward pass as a {@link io.bloomj.compute.Graph} ({@link io.bloomj.engine.BloomGraph})
 * and token sequences with their KV cache ({@link io.bloomj.engine.Sequence}); token choice is the
 * graph's sample op, run by the backend. Works on token ids only: the engine never sees text.
 */
package io.bloomj.engine;
