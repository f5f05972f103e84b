/**
 * Checkpoints: {@code config.json} ({@link io.bloomj.model.BloomConfig}), memory-mapped safetensors
 * files ({@link io.bloomj.model.SafetensorsFile}, {@link io.bloomj.model.Checkpoint}) and the named,
 * shape-checked BLOOM tensors ({@link io.bloomj.model.BloomWeights}). Also the writer behind
 * {@code bloomj random-model}.
 */
package io.bloomj.model;
