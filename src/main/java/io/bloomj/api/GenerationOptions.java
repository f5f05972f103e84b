package io.bloomj.api;

import io.bloomj.InvalidInputException;

/**
 * How to pick tokens: {@code GenerationOptions.greedy(64)} or
 * {@code GenerationOptions.greedy(64).withTemperature(0.7f).withSeed(42)}.
 *
 * @param maxNewTokens most tokens to generate
 * @param temperature  0 for greedy (argmax), otherwise sampling from softmax(logits / temperature)
 * @param seed         seed of the sampling generator (same seed, same output)
 * @param stopAtEos    stop when the model's eos token is produced
 */
public record GenerationOptions(int maxNewTokens, float temperature, long seed, boolean stopAtEos) {
    public GenerationOptions {
        if (maxNewTokens < 1) throw new InvalidInputException("max new tokens must be at least 1, got " + maxNewTokens);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new InvalidInputException("temperature must be a finite number >= 0, got " + temperature);
        }
    }

    public static GenerationOptions greedy(int maxNewTokens) {
        return new GenerationOptions(maxNewTokens, 0f, 0L, true);
    }

    public GenerationOptions withTemperature(float temperature) {
        return new GenerationOptions(maxNewTokens, temperature, seed, stopAtEos);
    }

    public GenerationOptions withSeed(long seed) {
        return new GenerationOptions(maxNewTokens, temperature, seed, stopAtEos);
    }

    public GenerationOptions withStopAtEos(boolean stopAtEos) {
        return new GenerationOptions(maxNewTokens, temperature, seed, stopAtEos);
    }
}
