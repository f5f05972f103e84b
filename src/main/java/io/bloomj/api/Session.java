package io.bloomj.api;

import io.bloomj.InvalidInputException;
import io.bloomj.compute.Profile;
import io.bloomj.compute.SamplingParams;
import io.bloomj.engine.Sequence;
import io.bloomj.tokenizer.BloomTokenizer;
import io.bloomj.tokenizer.StreamingDecoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One conversation or document with its own KV cache: tokens given to it accumulate, and each call
 * processes only the new ones. Obtain from {@link BloomModel#newSession()}; close to free the cache.
 * Not thread-safe: use one session per thread (sessions of the same model may run concurrently;
 * their steps are serialised on the shared backend). {@link Cancellation} may be used from any thread.
 */
public final class Session implements AutoCloseable {
    private final Sequence sequence;
    private final int vocab;
    private final int eos;
    private final BloomTokenizer tokenizer;
    /**
     * Every token in the KV cache, in order, for {@link #tokens()}. The repetition penalty does not
     * read it: the backend keeps its own record of the tokens seen (the {@code seen} buffer of the
     * graph's sample op, marked on the device at every step).
     */
    private int[] history = new int[256];

    Session(Sequence sequence, int vocab, int eos, BloomTokenizer tokenizer) {
        this.sequence = sequence;
        this.vocab = vocab;
        this.eos = eos;
        this.tokenizer = tokenizer;
    }

    /** Tokens in the session so far. */
    public int length() {
        return sequence.length();
    }

    public int contextLength() {
        return sequence.contextLength();
    }

    /** The tokens in the session, oldest first. */
    public int[] tokens() {
        return Arrays.copyOf(history, sequence.length());
    }

    /** Forgets all tokens. */
    public void reset() {
        sequence.reset();
    }

    /** Appends tokens and returns the logits (vocab-sized) predicting the token after the last one. */
    public float[] append(int... tokens) {
        float[] logits = new float[vocab];
        int before = sequence.length();
        sequence.append(tokens, logits);
        remember(before, tokens);
        return logits;
    }

    /**
     * Appends tokens and returns the greedy next token. Only the token id comes back from the
     * backend (no logits), which is what makes device decoding cheap.
     */
    public int appendGreedy(int... tokens) {
        int before = sequence.length();
        int next = sequence.appendGreedy(tokens);
        remember(before, tokens);
        return next;
    }

    /** Appends tokens and returns the logits after each of them, {@code [tokens.length][vocab]}. */
    public float[][] appendAll(int... tokens) {
        int before = sequence.length();
        float[][] out = sequence.appendAll(tokens);
        remember(before, tokens);
        return out;
    }

    /**
     * Appends tokens and returns {@code lp[i] = log P(tokens[i] | everything before it)} for
     * {@code i >= 1}; {@code lp[0]} is NaN (what precedes it was scored by an earlier call, if at all).
     * Logits are reduced to log-probabilities as they are produced, never all held at once.
     */
    public double[] appendScored(int... tokens) {
        double[] lp = new double[tokens.length];
        lp[0] = Double.NaN;
        int before = sequence.length();
        sequence.appendAll(tokens, (row, logits) -> {
            if (row + 1 < tokens.length) lp[row + 1] = logSoftmaxAt(logits, tokens[row + 1]);
        });
        remember(before, tokens);
        return lp;
    }

    private void remember(int at, int[] tokens) {
        int need = at + tokens.length;
        if (need > history.length) history = Arrays.copyOf(history, Math.max(need, history.length * 2));
        System.arraycopy(tokens, 0, history, at, tokens.length);
    }

    /** Appends {@code prompt} and generates greedily up to {@code maxNewTokens} tokens. */
    public GenerationResult generate(int[] prompt, int maxNewTokens) {
        return generate(prompt, GenerationConfig.greedy(maxNewTokens), GenerationListener.NONE, null);
    }

    /** Encodes {@code prompt} with the model's tokenizer and generates; see {@link #generate(int[], GenerationConfig, GenerationListener, Cancellation)}. */
    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener, Cancellation cancel) {
        return generate(requireTokenizer().encode(prompt), config, listener, cancel);
    }

    /**
     * Appends {@code prompt}, then generates, calling {@code listener} with each token as it is
     * chosen. Generated tokens stay in the session (all but the last one, which a following
     * {@link #append} or generation feeds), so a following call continues the text.
     *
     * @param cancel null, or a handle another thread may use to stop the generation
     */
    public GenerationResult generate(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancel) {
        if (!config.stopStrings().isEmpty()) requireTokenizer();
        // Tokens are chosen on the backend (argmax, or Op.Sample with the penalty and filters); only
        // their ids come back. The logits are read only to report log-probabilities.
        Generation g = new Generation(prompt.length, config, tokenizer, eos, listener, cancel);
        float[] logits = config.logprobs() > 0 ? new float[vocab] : null;
        int[] feed = prompt;
        while (true) {
            int before = sequence.length();
            SamplingParams draw = g.nextSampling();
            int chosen = draw == null ? sequence.appendGreedy(feed) : sequence.appendSampled(feed, draw);
            remember(before, feed);
            if (logits != null) sequence.readLogits(logits);
            if (g.accept(chosen, logits, sequence.length(), sequence.contextLength())) break;
            feed = new int[] {chosen};
        }
        return g.result();
    }

    static TokenLogprob logprob(float[] raw, int token, int topN) {
        double lse = logSumExp(raw);
        int[] best = topIndices(raw, topN);
        List<TokenLogprob.Alternative> alts = new ArrayList<>(best.length);
        for (int b : best) alts.add(new TokenLogprob.Alternative(b, raw[b] - lse));
        return new TokenLogprob(token, raw[token] - lse, alts);
    }

    static double logSoftmaxAt(float[] logits, int index) {
        return logits[index] - logSumExp(logits);
    }

    static double logSumExp(float[] v) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) max = Math.max(max, x);
        double sum = 0;
        for (float x : v) sum += Math.exp(x - max);
        return max + Math.log(sum);
    }

    /** Indices of the n largest values, largest first (ties: lower index first). */
    static int[] topIndices(float[] v, int n) {
        n = Math.min(n, v.length);
        int[] best = new int[n];
        int size = 0;
        for (int i = 0; i < v.length; i++) {
            if (size < n || v[i] > v[best[size - 1]]) {
                int j = Math.min(size, n - 1);
                while (j > 0 && v[best[j - 1]] < v[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
                if (size < n) size++;
            }
        }
        return best;
    }

    private BloomTokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new InvalidInputException("this model has no tokenizer.json: text prompts and stop strings need one "
                    + "(token ids work without it)");
        }
        return tokenizer;
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
