package io.bloomj.compute;

import io.bloomj.engine.Sampler;
import io.bloomj.testing.TestBackends;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Op.Sample} on every backend against the readable reference {@link Sampler}: every drawn
 * token lies in the reference's candidate set (penalty, temperature, top-k, top-p, min-p), the draw
 * follows softmax(l / T), greedy-with-penalty is the argmax of the penalised logits, and a seed and
 * counter give the same token everywhere.
 */
class SampleOpTest {
    private static final List<TestBackends.Named> BACKENDS = TestBackends.all();

    /** A plan running just the sample op over given logits; {@code seenTokens} are fed first so they count as seen. */
    private static final class Harness implements AutoCloseable {
        final Backend backend;
        final ExecutionPlan plan;
        final Buffer logits, token;
        final int vocab;
        /** The token id each draw step feeds (it becomes seen, so tests pick one whose penalty is harmless). */
        int feed;

        Harness(Backend backend, int vocab) {
            this.backend = backend;
            this.vocab = vocab;
            logits = new Buffer("logits", 1, vocab);
            token = new Buffer("token", 1, 1);
            Buffer seen = new Buffer("seen", 1, vocab);
            plan = backend.plan(new Graph(List.of(new Op.Sample(logits, token, seen)), 4, logits, null, Set.of(seen)));
        }

        void markSeen(int... ids) {
            plan.execute(new Step(ids, 0, 1));
        }

        int draw(float[] l, SamplingParams p) {
            plan.write(logits, 1, l);
            plan.execute(new Step(new int[] {feed}, 0, 1, p));
            float[] t = new float[1];
            plan.read(token, 1, t);
            return (int) t[0];
        }

        @Override
        public void close() {
            plan.close();
            backend.close();
        }
    }

    private static float[] randomLogits(Random r, int n, double scale) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * scale);
        return l;
    }

    @Test
    void drawsStayInTheReferenceCandidateSet() {
        Random r = new Random(11);
        float[] logits = randomLogits(r, 3001, 2.0);
        int[] seenIds = {5, 17, 400, 2999};
        float[] penalised = logits.clone();
        Sampler.applyRepetitionPenalty(penalised, seenIds, seenIds.length, 1.3f);
        float[][] configs = {{0.8f, 40, 1f, 0f}, {1.0f, 0, 0.9f, 0f}, {1.5f, 0, 1f, 0.05f}, {0.7f, 100, 0.8f, 0.02f}};
        for (TestBackends.Named named : BACKENDS) {
            try (Harness h = new Harness(named.open().get(), logits.length)) {
                h.markSeen(seenIds);
                h.feed = seenIds[0];
                for (float[] c : configs) {
                    Sampler ref = new Sampler(c[0], (int) c[1], c[2], c[3], 1f, 0);
                    Set<Integer> allowed = new HashSet<>();
                    for (int i : ref.candidates(penalised.clone())) allowed.add(i);
                    for (int counter = 0; counter < 40; counter++) {
                        int t = h.draw(logits, new SamplingParams(c[0], (int) c[1], c[2], c[3], 1.3f, 42, counter));
                        assertTrue(allowed.contains(t), named + " " + Arrays.toString(c) + ": token " + t + " is not a candidate ("
                                + allowed.size() + " candidates)");
                    }
                }
            }
        }
    }

    @Test
    void drawsFollowTheTemperatureScaledDistribution() {
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        double t = 0.8;
        double[] p = new double[4];
        double z = 0;
        for (int i = 0; i < 4; i++) z += p[i] = Math.exp(logits[i] / t);
        for (TestBackends.Named named : BACKENDS) {
            try (Harness h = new Harness(named.open().get(), 4)) {
                int n = 2000;
                int[] counts = new int[4];
                for (int counter = 0; counter < n; counter++) counts[h.draw(logits, new SamplingParams((float) t, 0, 1f, 0f, 1f, 7, counter))]++;
                for (int i = 0; i < 4; i++) assertEquals(p[i] / z, counts[i] / (double) n, 0.035, named + " token " + i);
            }
        }
    }

    @Test
    void greedyWithAPenaltyIsTheArgmaxOfThePenalisedLogits() {
        float[] logits = {2f, 0.5f, 1.6f, -3f};
        for (TestBackends.Named named : BACKENDS) {
            try (Harness h = new Harness(named.open().get(), 4)) {
                h.feed = 3;   // -3 penalised stays last
                assertEquals(0, h.draw(logits, new SamplingParams(0f, 0, 1f, 0f, 1.5f, 0, 0)), named + ": nothing seen yet");
                h.markSeen(0);
                assertEquals(2, h.draw(logits, new SamplingParams(0f, 0, 1f, 0f, 1.5f, 0, 0)), named + ": 2 / 1.5 < 1.6");
            }
        }
    }

    @Test
    void aSeedAndCounterGiveTheSameTokenOnEveryBackend() {
        sameTokensOnEveryBackend(0, 0.95f);
    }

    @Test
    void aSeedAndCounterGiveTheSameTokenOnEveryBackendWithTopK() {
        sameTokensOnEveryBackend(60, 1f);
    }

    private static void sameTokensOnEveryBackend(int topK, float topP) {
        float[] logits = randomLogits(new Random(3), 5000, 1.5);
        int[][] tokens = new int[BACKENDS.size()][50];
        for (int b = 0; b < BACKENDS.size(); b++) {
            try (Harness h = new Harness(BACKENDS.get(b).open().get(), logits.length)) {
                for (int counter = 0; counter < 50; counter++) {
                    tokens[b][counter] = h.draw(logits, new SamplingParams(1f, topK, topP, 0f, 1f, 99, counter));
                }
            }
        }
        Set<Integer> distinct = new HashSet<>();
        for (int t : tokens[0]) distinct.add(t);
        assertTrue(distinct.size() > 10, "different counters give different draws");
        for (int b = 1; b < BACKENDS.size(); b++) {
            int same = 0;
            for (int i = 0; i < 50; i++) if (tokens[b][i] == tokens[0][i]) same++;
            assertTrue(same >= 49, BACKENDS.get(b) + " agrees with " + BACKENDS.get(0) + " on " + same + " of 50 draws");
        }
    }
}
