package io.bloomj.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The readable reference of token choice, kept in the test tree: backends choose on the device
 * with {@link io.bloomj.compute.Op.Sample}, and tests hold every backend to this: picks the next token from logits
 * the way transformers' {@code generate} does: repetition
 * penalty on the raw logits, then (sampling) temperature, top-k, top-p and min-p, then a draw from
 * what is left; at temperature 0, the argmax (ties to the lowest id, as {@code torch.argmax}).
 * Draws come from a generator seeded once per generation, so a seed reproduces a run exactly.
 *
 * <p>Filtering works on candidate index lists with selection rather than a full sort, so a
 * 250880-token vocabulary costs a few linear passes per token.
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final float repetitionPenalty;
    private final SplittableRandom random;

    /**
     * @param temperature       0 = greedy; otherwise logits are divided by it
     * @param topK              keep the k most likely tokens (0 = off)
     * @param topP              keep the smallest set of most likely tokens whose probability reaches p (1 = off)
     * @param minP              drop tokens less likely than minP x the most likely one (0 = off)
     * @param repetitionPenalty divide positive / multiply negative logits of tokens already seen (1 = off)
     * @param seed              seed of the draws
     */
    public Sampler(float temperature, int topK, float topP, float minP, float repetitionPenalty, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be > 0, got " + repetitionPenalty);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.repetitionPenalty = repetitionPenalty;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 0, 1f, 0f, 1f, 0L);
    }

    /**
     * Chooses the next token. {@code logits} is modified (penalty, temperature, filtering).
     *
     * @param history tokens of the sequence so far (prompt and generated), for the repetition penalty
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        if (repetitionPenalty != 1f) applyRepetitionPenalty(logits, history, historyLength, repetitionPenalty);
        if (temperature == 0f) return argmax(logits);
        int[] candidates = candidates(logits);
        double[] probs = softmax(logits, candidates, candidates.length, temperature);
        double u = random.nextDouble();
        double acc = 0;
        for (int i = 0; i < candidates.length; i++) {
            acc += probs[i];
            if (u < acc) return candidates[i];
        }
        return candidates[candidates.length - 1];
    }

    /** The tokens that survive top-k, top-p and min-p at this temperature (any order). */
    public int[] candidates(float[] logits) {
        int n = logits.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        int count = n;
        if (topK > 0 && topK < n) count = keepTopK(logits, idx, count, topK);
        if (topP < 1f) count = keepTopP(logits, idx, count, topP, temperature);
        if (minP > 0f) count = keepMinP(logits, idx, count, minP, temperature);
        return Arrays.copyOf(idx, count);
    }

    /** HF RepetitionPenaltyLogitsProcessor: seen tokens' logits divided (if > 0) or multiplied (if < 0) by the penalty. */
    public static void applyRepetitionPenalty(float[] logits, int[] history, int length, float penalty) {
        boolean[] seen = new boolean[logits.length];
        for (int i = 0; i < length; i++) {
            int t = history[i];
            if (t < 0 || t >= logits.length || seen[t]) continue;
            seen[t] = true;
            logits[t] = logits[t] < 0 ? logits[t] * penalty : logits[t] / penalty;
        }
    }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Keeps the k largest logits (and any tied with the k-th, as HF's "< k-th value" filter does). */
    static int keepTopK(float[] logits, int[] idx, int count, int k) {
        float kth = kthLargest(logits, idx, count, k);
        int w = 0;
        for (int i = 0; i < count; i++) if (logits[idx[i]] >= kth) idx[w++] = idx[i];
        return w;
    }

    private static float kthLargest(float[] logits, int[] idx, int count, int k) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = logits[idx[i]];
        int lo = 0, hi = count - 1, target = k - 1;   // quickselect for descending order
        SplittableRandom r = new SplittableRandom(count);
        while (lo < hi) {
            float pivot = v[lo + r.nextInt(hi - lo + 1)];
            int i = lo, j = hi;
            while (i <= j) {
                while (v[i] > pivot) i++;
                while (v[j] < pivot) j--;
                if (i <= j) {
                    float t = v[i]; v[i] = v[j]; v[j] = t;
                    i++;
                    j--;
                }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else break;
        }
        return v[target];
    }

    /**
     * HF TopPLogitsWarper: drop the least likely tokens while their cumulative probability stays
     * at most 1 - p, i.e. keep the most likely tokens until their mass reaches p (at least one).
     * Found by selection on probability mass instead of sorting the vocabulary.
     */
    static int keepTopP(float[] logits, int[] idx, int count, float p, float temperature) {
        double[] probs = softmax(logits, idx, count, temperature);
        // Order candidates by descending probability only as far as needed: iterative partition by mass.
        int lo = 0, hi = count;       // undecided range [lo, hi); [0, lo) is kept
        double keptMass = 0;
        SplittableRandom r = new SplittableRandom(count);
        while (hi - lo > 1) {
            double pivot = probs[lo + r.nextInt(hi - lo)];
            // three-way partition of [lo, hi): > pivot, == pivot, < pivot
            int gt = lo, i = lo, lt = hi;
            while (i < lt) {
                if (probs[i] > pivot) swap(idx, probs, gt++, i++);
                else if (probs[i] < pivot) swap(idx, probs, i, --lt);
                else i++;
            }
            double massGt = 0, massEq = 0;
            for (int j = lo; j < gt; j++) massGt += probs[j];
            for (int j = gt; j < lt; j++) massEq += probs[j];
            if (keptMass + massGt >= p) {
                hi = gt;                          // the boundary lies among the larger ones
            } else if (keptMass + massGt + massEq >= p) {
                int need = gt;                    // take equal-probability tokens one by one
                keptMass += massGt;
                while (keptMass < p && need < lt) keptMass += probs[need++];
                return Math.max(1, need);
            } else {
                keptMass += massGt + massEq;
                lo = lt;
            }
        }
        return Math.max(1, Math.min(count, lo + (hi > lo ? 1 : 0)));
    }

    /** HF MinPLogitsWarper: drop tokens whose probability is below minP x the largest probability. */
    static int keepMinP(float[] logits, int[] idx, int count, float minP, float temperature) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) max = Math.max(max, logits[idx[i]]);
        // on the temperature-scaled distribution: p_i / p_max = exp((l_i - l_max) / T) >= minP
        double threshold = (temperature == 0f ? 1 : temperature) * Math.log(minP);
        int w = 0;
        for (int i = 0; i < count; i++) if (logits[idx[i]] - max >= threshold) idx[w++] = idx[i];
        return Math.max(1, w);
    }

    private static void swap(int[] idx, double[] probs, int a, int b) {
        int t = idx[a]; idx[a] = idx[b]; idx[b] = t;
        double p = probs[a]; probs[a] = probs[b]; probs[b] = p;
    }

    /** softmax(logits[idx[i]] / temperature) over the first {@code count} candidates, in double. */
    static double[] softmax(float[] logits, int[] idx, int count, float temperature) {
        double t = temperature == 0f ? 1 : temperature;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) max = Math.max(max, logits[idx[i]] / t);
        double[] p = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++) sum += p[i] = Math.exp(logits[idx[i]] / t - max);
        for (int i = 0; i < count; i++) p[i] /= sum;
        return p;
    }
}
