package io.bloomj.cli;

import io.bloomj.api.GenerationConfig;
import picocli.CommandLine.Option;

import java.util.List;

/** Sampling and stopping options shared by generate and chat; unset ones come from generation_config.json. */
final class SamplingOptions {
    @Option(names = {"-n", "--max-new-tokens"}, description = "Most tokens to generate (default: generation_config.json, else 256).")
    Integer maxNewTokens;

    @Option(names = "--temperature", description = "0 = greedy; > 0 samples from softmax(logits / T) (default: generation_config.json, else 0).")
    Float temperature;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", description = "Nucleus sampling: keep the most likely tokens up to this probability mass (1 = off).")
    Float topP;

    @Option(names = "--min-p", description = "Keep tokens at least min-p x as likely as the most likely one (0 = off).")
    Float minP;

    @Option(names = "--repetition-penalty", description = "Penalty on tokens already in the text, as transformers defines it (1 = off).")
    Float repetitionPenalty;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed: same seed, same output (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when the answer contains TEXT (repeatable).")
    List<String> stop = List.of();

    @Option(names = "--ignore-eos", description = "Keep generating after the end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--logprobs", defaultValue = "0", paramLabel = "N",
            description = "Report each token's log-probability and its N best alternatives (JSON output).")
    int logprobs;

    /** The config: command-line values over the model's defaults. */
    GenerationConfig config(GenerationConfig defaults) {
        GenerationConfig.Builder b = defaults.toBuilder().seed(seed).stopStrings(stop).stopAtEos(!ignoreEos).logprobs(logprobs);
        if (maxNewTokens != null) b.maxNewTokens(maxNewTokens);
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (minP != null) b.minP(minP);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        return b.build();
    }
}
