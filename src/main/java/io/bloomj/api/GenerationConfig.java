package io.bloomj.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.CheckpointException;
import io.bloomj.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How to generate: sampling (as transformers' {@code generate} defines it), limits and stops.
 *
 * <pre>{@code
 * GenerationConfig c = GenerationConfig.builder().maxNewTokens(128).temperature(0.7f).topP(0.9f)
 *         .repetitionPenalty(1.1f).seed(42).stopStrings("\n\n").build();
 * GenerationConfig greedy = GenerationConfig.greedy(32);
 * }</pre>
 *
 * @param maxNewTokens      most tokens to generate
 * @param temperature       0 = greedy (argmax); otherwise sampling from softmax(logits / temperature)
 * @param topK              keep the k most likely tokens (0 = off)
 * @param topP              nucleus: keep the most likely tokens until their probability reaches p (1 = off)
 * @param minP              keep tokens at least minP x as likely as the most likely (0 = off)
 * @param repetitionPenalty penalty on tokens already in the sequence, as HF defines it (1 = off)
 * @param seed              seed of the sampling generator: same seed, same output
 * @param stopStrings       stop when the generated text contains one (it is cut from the result)
 * @param stopAtEos         stop when the model produces its end-of-sequence token
 * @param logprobs          0, or N to report each generated token's log-probability with its N best alternatives
 */
public record GenerationConfig(int maxNewTokens, float temperature, int topK, float topP, float minP, float repetitionPenalty,
                               long seed, List<String> stopStrings, boolean stopAtEos, int logprobs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public GenerationConfig {
        if (maxNewTokens < 1) throw new InvalidInputException("max new tokens must be at least 1, got " + maxNewTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new InvalidInputException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new InvalidInputException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new InvalidInputException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new InvalidInputException("min-p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new InvalidInputException("repetition penalty must be > 0, got " + repetitionPenalty);
        }
        if (logprobs < 0) throw new InvalidInputException("logprobs must be >= 0, got " + logprobs);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new InvalidInputException("stop strings must not be empty");
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at eos. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().maxNewTokens(maxNewTokens).temperature(temperature).topK(topK).topP(topP).minP(minP)
                .repetitionPenalty(repetitionPenalty).seed(seed).stopStrings(stopStrings).stopAtEos(stopAtEos).logprobs(logprobs);
    }

    /**
     * Defaults from a model's {@code generation_config.json} (transformers' fields: do_sample,
     * temperature, top_k, top_p, min_p, repetition_penalty, max_new_tokens); fields it lacks keep
     * transformers' defaults. {@code do_sample: false} means greedy. Absent file: {@link #greedy(int)} of 256.
     */
    public static GenerationConfig fromModelFolder(Path dir) {
        Path file = dir.resolve("generation_config.json");
        Builder b = builder();
        if (!Files.exists(file)) return b.build();
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new CheckpointException(file, "malformed generation_config.json: " + e.getMessage());
        }
        boolean sample = n.path("do_sample").asBoolean(false);
        b.temperature(sample ? (float) n.path("temperature").asDouble(1.0) : 0f);
        b.topK(sample ? n.path("top_k").asInt(50) : 0);
        b.topP(sample ? (float) n.path("top_p").asDouble(1.0) : 1f);
        b.minP(sample && n.hasNonNull("min_p") ? (float) n.path("min_p").asDouble() : 0f);
        b.repetitionPenalty((float) n.path("repetition_penalty").asDouble(1.0));
        if (n.hasNonNull("max_new_tokens")) b.maxNewTokens(n.path("max_new_tokens").asInt());
        return b.build();
    }

    /** Mutable builder; {@link #build()} checks the values. */
    public static final class Builder {
        private int maxNewTokens = 256;
        private float temperature = 0f;
        private int topK = 0;
        private float topP = 1f;
        private float minP = 0f;
        private float repetitionPenalty = 1f;
        private long seed = 0;
        private List<String> stopStrings = List.of();
        private boolean stopAtEos = true;
        private int logprobs = 0;

        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder stopStrings(List<String> v) { stopStrings = List.copyOf(v); return this; }
        public Builder stopStrings(String... v) { stopStrings = List.of(v); return this; }
        public Builder stopAtEos(boolean v) { stopAtEos = v; return this; }
        public Builder logprobs(int topN) { logprobs = topN; return this; }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, seed, stopStrings,
                    stopAtEos, logprobs);
        }
    }
}
