package io.bloomj.api;

import io.bloomj.compute.Profile;
import io.bloomj.engine.Sampler;
import io.bloomj.engine.Sequence;

/**
 * One conversation or document with its own KV cache: tokens given to it accumulate, and each call
 * processes only the new ones. Obtain from {@link BloomModel#newSession()}; close to free the cache.
 * Not thread-safe: use one session per thread (sessions of the same model may run concurrently;
 * their steps are serialised on the shared backend).
 */
public final class Session implements AutoCloseable {
    private final Sequence sequence;
    private final int vocab;
    private final int eos;

    Session(Sequence sequence, int vocab, int eos) {
        this.sequence = sequence;
        this.vocab = vocab;
        this.eos = eos;
    }

    /** Tokens in the session so far. */
    public int length() {
        return sequence.length();
    }

    public int contextLength() {
        return sequence.contextLength();
    }

    /** Forgets all tokens. */
    public void reset() {
        sequence.reset();
    }

    /** Appends tokens and returns the logits (vocab-sized) predicting the token after the last one. */
    public float[] append(int... tokens) {
        float[] logits = new float[vocab];
        sequence.append(tokens, logits);
        return logits;
    }

    /**
     * Appends tokens and returns the greedy next token. Only the token id comes back from the
     * backend (no logits), which is what makes device decoding cheap.
     */
    public int appendGreedy(int... tokens) {
        return sequence.appendGreedy(tokens);
    }

    /** Appends tokens and returns the logits after each of them, {@code [tokens.length][vocab]}. */
    public float[][] appendAll(int... tokens) {
        return sequence.appendAll(tokens);
    }

    /** Appends {@code prompt} and generates greedily up to {@code maxNewTokens} tokens. */
    public GenerationResult generate(int[] prompt, int maxNewTokens) {
        return generate(prompt, GenerationOptions.greedy(maxNewTokens), TokenListener.NONE);
    }

    /**
     * Appends {@code prompt}, then generates, calling {@code listener} with each token as it is
     * chosen. Generated tokens stay in the session (the last one too, once it has been fed back),
     * so a following call continues the text.
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenListener listener) {
        // Greedy decoding reads back only the argmax the backend computed; sampling needs the logits.
        boolean greedy = options.temperature() == 0f;
        Sampler sampler = new Sampler(options.temperature(), options.seed());
        long start = System.nanoTime();
        float[] logits = greedy ? null : new float[vocab];
        int token = greedy ? sequence.appendGreedy(prompt) : sampleAfter(prompt, logits, sampler);
        long firstToken = System.nanoTime();
        int[] out = new int[options.maxNewTokens()];
        int n = 0;
        int decodeSteps = 0;
        FinishReason reason;
        while (true) {
            out[n++] = token;
            listener.onToken(token);
            if (options.stopAtEos() && token == eos) { reason = FinishReason.EOS; break; }
            if (n == options.maxNewTokens()) { reason = FinishReason.LENGTH; break; }
            if (sequence.length() == sequence.contextLength()) { reason = FinishReason.CONTEXT; break; }
            int[] next = {token};
            token = greedy ? sequence.appendGreedy(next) : sampleAfter(next, logits, sampler);
            decodeSteps++;
        }
        long end = System.nanoTime();
        double prefillSeconds = (firstToken - start) / 1e9;
        double decodeSeconds = (end - firstToken) / 1e9;
        return new GenerationResult(java.util.Arrays.copyOf(out, n), reason, prompt.length,
                (firstToken - start) / 1e6,
                prompt.length / prefillSeconds,
                decodeSteps == 0 ? 0 : decodeSteps / decodeSeconds);
    }

    private int sampleAfter(int[] tokens, float[] logits, Sampler sampler) {
        sequence.append(tokens, logits);
        return sampler.sample(logits);
    }

    /** Turns per-op timing on or off (it adds a little overhead; keep it off when timing throughput). */
    public void setProfiling(boolean enabled) {
        sequence.setProfiling(enabled);
    }

    /** Time and weight bytes per op kind since profiling was turned on. */
    public Profile profile() {
        return sequence.profile();
    }

    @Override
    public void close() {
        sequence.close();
    }
}
