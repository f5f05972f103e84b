package io.bloomj.api;

/**
 * The outcome of {@link Session#generate}.
 *
 * @param tokens                  generated token ids (the prompt excluded; eos included when it ended the run)
 * @param finishReason            why generation stopped
 * @param promptTokens            tokens prefilled for this call
 * @param timeToFirstTokenMs      from the call to the first generated token (prefill + first sample)
 * @param prefillTokensPerSecond  prompt tokens / prefill time
 * @param decodeTokensPerSecond   decode steps / decode time (0 when no decode step ran)
 */
public record GenerationResult(int[] tokens, FinishReason finishReason, int promptTokens,
                               double timeToFirstTokenMs, double prefillTokensPerSecond,
                               double decodeTokensPerSecond) {
    public int generatedTokens() {
        return tokens.length;
    }
}
