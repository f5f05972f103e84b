package io.bloomj.engine;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler against transformers' definitions, on hand-made distributions. */
class SamplerTest {
    private static final int[] NONE = new int[0];

    /** Logits whose softmax is exactly {@code probs}. */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    private static int[] sorted(int[] a) {
        int[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] base = new float[500];
        Random r = new Random(1);
        for (int i = 0; i < base.length; i++) base[i] = (float) r.nextGaussian();
        int[] a = draw(new Sampler(1f, 0, 1f, 0f, 1f, 42), base, 50);
        int[] b = draw(new Sampler(1f, 0, 1f, 0f, 1f, 42), base, 50);
        int[] c = draw(new Sampler(1f, 0, 1f, 0f, 1f, 43), base, 50);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    }

    private static int[] draw(Sampler s, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits.clone(), NONE, 0);
        return out;
    }

    @Test
    void topKOfOneIsGreedyWhateverTheSeedOrTemperature() {
        float[] logits = new float[1000];
        Random r = new Random(2);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) r.nextGaussian() * 3;
        int greedy = Sampler.argmax(logits);
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(greedy, new Sampler(1.5f, 1, 1f, 0f, 1f, seed).sample(logits.clone(), NONE, 0));
        }
        assertEquals(greedy, Sampler.greedy().sample(logits.clone(), NONE, 0));
    }

    @Test
    void topKKeepsTheKLargest() {
        float[] logits = {0.1f, 3f, -2f, 2.5f, 1f, 3f};
        assertArrayEquals(new int[] {1, 3, 5}, sorted(new Sampler(1f, 3, 1f, 0f, 1f, 0).candidates(logits)));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities 0.5, 0.25, 0.15, 0.07, 0.03
        float[] logits = logitsOf(0.07, 0.5, 0.03, 0.25, 0.15);
        assertArrayEquals(new int[] {1}, sorted(new Sampler(1f, 0, 0.4f, 0f, 1f, 0).candidates(logits)));
        assertArrayEquals(new int[] {1, 3}, sorted(new Sampler(1f, 0, 0.6f, 0f, 1f, 0).candidates(logits)));
        assertArrayEquals(new int[] {1, 3, 4}, sorted(new Sampler(1f, 0, 0.8f, 0f, 1f, 0).candidates(logits)));
        assertArrayEquals(new int[] {0, 1, 3, 4}, sorted(new Sampler(1f, 0, 0.95f, 0f, 1f, 0).candidates(logits)));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, sorted(new Sampler(1f, 0, 1f, 0f, 1f, 0).candidates(logits)));
        // temperature 2 flattens the distribution first: sqrt-probabilities, renormalised
        double[] t2 = {Math.sqrt(0.07), Math.sqrt(0.5), Math.sqrt(0.03), Math.sqrt(0.25), Math.sqrt(0.15)};
        double z = Arrays.stream(t2).sum();   // 0.707/z = 0.33: p = 0.4 needs the two largest
        assertTrue(t2[1] / z < 0.4 && (t2[1] + t2[3]) / z >= 0.4);
        assertArrayEquals(new int[] {1, 3}, sorted(new Sampler(2f, 0, 0.4f, 0f, 1f, 0).candidates(logits)));
    }

    @Test
    void topPOnALargeVocabularyMatchesSorting() {
        Random r = new Random(3);
        float[] logits = new float[50_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 2);
        double[] p = new double[logits.length];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float l : logits) max = Math.max(max, l);
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(logits[i] - max);
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < p.length; i++) order[i] = i;
        final double total = sum;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        double acc = 0;
        int k = 0;
        while (acc < 0.9) acc += p[order[k++]] / total;
        int[] expected = new int[k];
        for (int i = 0; i < k; i++) expected[i] = order[i];
        assertArrayEquals(sorted(expected), sorted(new Sampler(1f, 0, 0.9f, 0f, 1f, 0).candidates(logits)));
    }

    @Test
    void minPKeepsTokensAtLeastMinPTimesTheMostLikely() {
        float[] logits = logitsOf(0.5, 0.2, 0.1, 0.04, 0.16);
        // min_p 0.3: threshold 0.15 -> 0.5, 0.2, 0.16
        assertArrayEquals(new int[] {0, 1, 4}, sorted(new Sampler(1f, 0, 1f, 0.3f, 1f, 0).candidates(logits)));
        // at temperature 2, ratios are square-rooted: sqrt(0.04/0.5) = 0.28 < 0.3 <= sqrt(0.1/0.5) = 0.447
        assertArrayEquals(new int[] {0, 1, 2, 4}, sorted(new Sampler(2f, 0, 1f, 0.3f, 1f, 0).candidates(logits)));
    }

    @Test
    void repetitionPenaltyFollowsTransformers() {
        float[] logits = {2f, -2f, 1f, 0.5f};
        Sampler.applyRepetitionPenalty(logits, new int[] {0, 1, 0, 1}, 4, 2f);
        assertArrayEquals(new float[] {1f, -4f, 1f, 0.5f}, logits, 0f);   // positive divided, negative multiplied, once each
        // it changes the greedy choice: token 0 (2.0) falls below token 2 (1.5) after a 2x penalty
        float[] l = {2f, 0f, 1.5f};
        assertEquals(2, new Sampler(0f, 0, 1f, 0f, 2f, 0).sample(l, new int[] {0}, 1));
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] logits = logitsOf(0.6, 0.3, 0.1);
        Sampler s = new Sampler(1f, 0, 1f, 0f, 1f, 7);
        int[] counts = new int[3];
        int n = 20_000;
        for (int i = 0; i < n; i++) counts[s.sample(logits.clone(), NONE, 0)]++;
        assertEquals(0.6, counts[0] / (double) n, 0.02);
        assertEquals(0.3, counts[1] / (double) n, 0.02);
        assertEquals(0.1, counts[2] / (double) n, 0.02);
    }
}
