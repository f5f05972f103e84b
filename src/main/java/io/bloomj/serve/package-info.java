/**
 * {@code bloomj serve}: an OpenAI-compatible HTTP API ({@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/models}, {@code /health}, {@code /metrics}) over the
 * continuous-batching {@link io.bloomj.api.BatchGenerator}. Talks to the engine only through
 * {@code io.bloomj.api}.
 */
package io.bloomj.serve;
