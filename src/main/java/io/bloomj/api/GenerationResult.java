package io.bloomj.api;

import java.util.List;

/**
 * The outcome of a generation.
 *
 * @param text                    the generated text (empty without a tokenizer; stop strings and eos cut)
 * @param tokens                  generated token ids (eos included when it ended the run)
 * @param finishReason            why generation stopped
 * @param promptTokens            tokens prefilled for this call
 * @param timeToFirstTokenMs      from the call to the first generated token (prefill + first choice)
 * @param prefillTokensPerSecond  prompt tokens / time to first token
 * @param decodeTokensPerSecond   decode steps / decode time (0 when no decode step ran)
 * @param logprobs                per generated token, when asked ({@link GenerationConfig#logprobs()}); else empty
 */
public record GenerationResult(String text, int[] tokens, FinishReason finishReason, int promptTokens,
                               double timeToFirstTokenMs, double prefillTokensPerSecond,
                               double decodeTokensPerSecond, List<TokenLogprob> logprobs) {
    public GenerationResult {
        logprobs = List.copyOf(logprobs);
    }

    public int generatedTokens() {
        return tokens.length;
    }
}
