package io.bloomj.api;

import io.bloomj.compute.SamplingParams;
import io.bloomj.tokenizer.BloomTokenizer;
import io.bloomj.tokenizer.StreamingDecoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bookkeeping of one generation, whatever drives its steps (a {@link Session} alone or the
 * {@link BatchGenerator}): how its next token is asked for, the text as it streams (incomplete
 * characters held back, stop strings cut), why it ends, and its timing.
 */
final class Generation {
    private final GenerationConfig config;
    private final int eos;
    private final GenerationListener listener;
    private final Cancellation cancel;
    private final StreamingDecoder decoder;
    private final StopMatcher stops;
    private final boolean plainGreedy;
    private final List<TokenLogprob> logprobs = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private final int promptTokens;
    private final long start;
    private long firstToken;
    private long draws;
    private int[] out;
    private int n;
    private int decodeSteps;
    private FinishReason reason;

    Generation(int promptTokens, GenerationConfig config, BloomTokenizer tokenizer, int eos, GenerationListener listener,
               Cancellation cancel) {
        this.promptTokens = promptTokens;
        this.config = config;
        this.eos = eos;
        this.listener = listener == null ? GenerationListener.NONE : listener;
        this.cancel = cancel;
        this.decoder = tokenizer == null ? null : tokenizer.streamingDecoder();
        this.stops = new StopMatcher(config.stopStrings());
        this.plainGreedy = config.temperature() == 0f && config.repetitionPenalty() == 1f;
        // Grown as tokens come: max_new_tokens may be far more than the context will let through.
        this.out = new int[Math.min(config.maxNewTokens(), 256)];
        this.start = System.nanoTime();
    }

    /** The draw for the next token, or null for the plain argmax (counts the draws: each has its own random numbers). */
    SamplingParams nextSampling() {
        if (plainGreedy) return null;
        return new SamplingParams(config.temperature(), config.topK(), config.topP(), config.minP(), config.repetitionPenalty(),
                config.seed(), draws++);
    }

    /** How many alternatives each token's log-probability lists (0: logits are not needed). */
    int logprobs() {
        return config.logprobs();
    }

    /** Set by {@link #cancel()}: a batch being closed stops its sequences without their own handle. */
    private volatile boolean stopped;

    boolean cancelled() {
        return stopped || cancel != null && cancel.isCancelled();
    }

    /** Makes {@link #cancelled()} true from any thread. */
    void cancel() {
        stopped = true;
    }

    /**
     * Takes the token the model chose; {@code logits} are its raw logits when {@link #logprobs()}
     * asked for them. Returns true when the generation is over.
     *
     * @param length tokens in the sequence's cache now, and {@code capacity} how many it may hold
     */
    boolean accept(int token, float[] logits, int length, int capacity) {
        if (n == 0) firstToken = System.nanoTime();
        else decodeSteps++;
        TokenLogprob lp = logits != null && config.logprobs() > 0 ? Session.logprob(logits, token, config.logprobs()) : null;
        if (lp != null) logprobs.add(lp);
        if (n == out.length) out = Arrays.copyOf(out, (int) Math.min(config.maxNewTokens(), 2L * out.length));
        out[n++] = token;
        boolean isEos = config.stopAtEos() && token == eos;
        String piece = decoder == null || isEos ? "" : stops.accept(decoder.push(token));
        if (stops.stopped()) reason = FinishReason.STOP;
        else if (isEos) reason = FinishReason.EOS;
        else if (n == config.maxNewTokens()) reason = FinishReason.LENGTH;
        else if (cancelled()) reason = FinishReason.CANCELLED;
        else if (length >= capacity) reason = FinishReason.CONTEXT;
        if (reason != null && reason != FinishReason.STOP && decoder != null) {
            // Nothing may stay held back; a stop string may complete in the released text.
            String tail = stops.accept(decoder.flush());
            if (stops.stopped()) reason = FinishReason.STOP;
            else tail += stops.flush();
            piece += tail;
        }
        text.append(piece);
        listener.onToken(token, piece, lp);
        if (reason != null) return true;
        if (cancelled()) {
            // Cancelled while the listener ran: no further token. Text held back for an incomplete
            // character or a possible stop string is dropped, so the result is what was streamed.
            reason = FinishReason.CANCELLED;
            return true;
        }
        return false;
    }

    /** Ends the generation as cancelled between tokens (while waiting, prefilling or decoding). */
    void cancelNow() {
        if (firstToken == 0) firstToken = System.nanoTime();
        reason = FinishReason.CANCELLED;
    }

    /** The token to feed next: the last one chosen. */
    int last() {
        return out[n - 1];
    }

    int generated() {
        return n;
    }

    FinishReason reason() {
        return reason;
    }

    GenerationResult result() {
        long end = System.nanoTime();
        double ttft = (firstToken - start) / 1e9;
        return new GenerationResult(text.toString(), Arrays.copyOf(out, n), reason, promptTokens, ttft * 1e3,
                ttft > 0 ? promptTokens / ttft : 0, decodeSteps == 0 ? 0 : decodeSteps / ((end - firstToken) / 1e9),
                config.logprobs() > 0 ? logprobs.subList(0, Math.min(n, logprobs.size())) : List.of());
    }
}
