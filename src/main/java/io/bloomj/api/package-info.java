/**
 * The public library API: {@link io.bloomj.api.Bloom#load} gives a {@link io.bloomj.api.BloomModel};
 * research code asks it for logits, applications open {@link io.bloomj.api.Session}s and generate.
 * Options and results are records; errors are subclasses of {@link io.bloomj.BloomjException}.
 */
package io.bloomj.api;
