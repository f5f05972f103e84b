/**
 * Text to token ids and back: {@link io.bloomj.tokenizer.BloomTokenizer} wraps the Hugging Face
 * tokenizers library (no hand-written BPE), {@link io.bloomj.tokenizer.StreamingDecoder} emits text
 * from streamed ids without splitting characters. The engine never imports this package.
 */
package io.bloomj.tokenizer;
