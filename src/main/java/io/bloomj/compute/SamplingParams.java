package io.bloomj.compute;

/**
 * How a backend picks the next token on the device ({@link Op.Sample}), with transformers'
 * semantics: repetition penalty on the raw logits of tokens already seen, then temperature, top-k,
 * top-p and min-p, then a draw. The draw is Gumbel-max: argmax of {@code logit / T + G_i} over the
 * tokens kept, with {@code G_i} from a counter-based hash of (seed, counter, i), which samples exactly
 * from softmax(logit / T) and needs no sort and nothing from the host.
 *
 * @param temperature       > 0, or 0 for the argmax of the penalised logits (greedy with a repetition penalty)
 * @param topK              0 = off
 * @param topP              1 = off
 * @param minP              0 = off
 * @param repetitionPenalty 1 = off
 * @param seed              the generation's seed
 * @param counter           which draw of the generation this is (the same seed and counter give the same token)
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed, long counter) {
    public SamplingParams {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }

    /** Uniform in (0, 1) from (seed, counter, index): splitmix64 finalizer, 24 bits, as every kernel computes it. */
    public static float uniform(long seed, long counter, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (counter + 1) + 0xBF58476D1CE4E5B9L * (index + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return ((z >>> 40) + 0.5f) * 0x1.0p-24f;
    }

    /** The Gumbel noise of (seed, counter, index). */
    public static float gumbel(long seed, long counter, int index) {
        return (float) -Math.log(-Math.log(uniform(seed, counter, index)));
    }

    /** Order-preserving map of floats to ints (so thresholds can be bisected over bit patterns). */
    public static int sortable(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : b ^ 0x7FFFFFFF;
    }
}
