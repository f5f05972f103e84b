package io.bloomj.bench;

import io.bloomj.api.BloomModel;
import io.bloomj.api.Session;
import io.bloomj.compute.Profile;

import java.util.SplittableRandom;

/**
 * llama-bench style throughput tests on a loaded model: {@code ppN} prefills N random tokens into an
 * empty session, {@code tgN} decodes N tokens one by one (greedy) from an empty session. Each test
 * runs once untimed (warm-up: JIT, page faults of the mapped weights) and then {@code repetitions}
 * timed times, each in a fresh session.
 */
public final class ThroughputBench {
    /** Tokens per second of each timed repetition. */
    public record Result(String test, int nPrompt, int nGen, double[] tokensPerSecond) {
        public double median() {
            return Stats.median(tokensPerSecond);
        }

        public double mean() {
            return Stats.mean(tokensPerSecond);
        }

        public double stddev() {
            return Stats.stddev(tokensPerSecond);
        }
    }

    private ThroughputBench() {}

    public static Result prefill(BloomModel model, int tokens, int repetitions) {
        int[] prompt = randomTokens(model.config().vocabSize(), tokens, 1);
        double[] tps = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            try (Session s = model.newSession(tokens)) {
                long t0 = System.nanoTime();
                s.append(prompt);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) tps[r] = tokens / seconds;
            }
        }
        return new Result("pp" + tokens, tokens, 0, tps);
    }

    public static Result decode(BloomModel model, int tokens, int repetitions) {
        double[] tps = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            try (Session s = model.newSession(tokens)) {
                int next = model.config().bosTokenId();
                long t0 = System.nanoTime();
                for (int i = 0; i < tokens; i++) next = s.appendGreedy(next);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) tps[r] = tokens / seconds;
            }
        }
        return new Result("tg" + tokens, 0, tokens, tps);
    }

    /** Prefills {@code tokens} tokens once with per-op profiling on (after the timed runs: it perturbs timing). */
    public static Profile profilePrefill(BloomModel model, int tokens) {
        try (Session s = model.newSession(tokens)) {
            s.setProfiling(true);
            s.append(randomTokens(model.config().vocabSize(), tokens, 1));
            return s.profile();
        }
    }

    /** Decodes {@code tokens} tokens once with per-op profiling on (after the timed runs: it perturbs timing). */
    public static Profile profileDecode(BloomModel model, int tokens) {
        try (Session s = model.newSession(tokens)) {
            s.setProfiling(true);
            int next = model.config().bosTokenId();
            for (int i = 0; i < tokens; i++) next = s.appendGreedy(next);
            return s.profile();
        }
    }

    private static int[] randomTokens(int vocab, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(vocab);
        return t;
    }
}
