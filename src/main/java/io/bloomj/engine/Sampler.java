package io.bloomj.engine;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: argmax at temperature 0 (ties go to the lowest id, as
 * {@code torch.argmax}), otherwise a draw from {@code softmax(logits / temperature)} with a seeded
 * generator so a run can be reproduced.
 */
public final class Sampler {
    private final float temperature;
    private final SplittableRandom random;

    public Sampler(float temperature, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        this.temperature = temperature;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 0L);
    }

    public int sample(float[] logits) {
        return temperature == 0f ? argmax(logits) : draw(logits);
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    private int draw(float[] logits) {
        float max = logits[argmax(logits)];
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            sum += p[i];
        }
        double u = random.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u < 0) return i;
        }
        return argmax(logits);
    }
}
