/**
 * The Hugging Face Hub: {@link io.bloomj.hub.HubDownloader} fetches a BLOOM model into the same
 * cache layout Python's huggingface_hub uses ({@link io.bloomj.hub.HubCache}), so models are shared
 * between the two; {@link io.bloomj.hub.ModelLocator} resolves {@code --model} values.
 */
package io.bloomj.hub;
