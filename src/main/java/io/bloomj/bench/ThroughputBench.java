package io.bloomj.bench;

import io.bloomj.api.BloomModel;
import io.bloomj.api.Session;
import io.bloomj.compute.Profile;

import java.util.SplittableRandom;

/**
 * llama-bench style throughput tests on a loaded model. {@code ppN@dD} prefills N random tokens
 * after D tokens already in the cache; {@code tgN@dD} decodes N tokens one by one (greedy) after D.
 * Each test runs once untimed (warm-up: JIT, page faults of the mapped weights, kernel builds) and
 * then {@code repetitions} timed times, each in a fresh session; the depth's prefill is not timed.
 */
public final class ThroughputBench {
    /** Tokens per second and seconds of each timed repetition. */
    public record Result(String test, int nPrompt, int nGen, int nDepth, double[] tokensPerSecond, double[] seconds) {
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

    static String name(String kind, int n, int depth) {
        return kind + n + (depth > 0 ? "@d" + depth : "");
    }

    public static Result prefill(BloomModel model, int tokens, int depth, int repetitions) {
        int vocab = model.config().vocabSize();
        int[] context = randomTokens(vocab, depth, 2);
        int[] prompt = randomTokens(vocab, tokens, 1);
        double[] tps = new double[repetitions], secs = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            try (Session s = model.newSession(depth + tokens)) {
                if (depth > 0) s.appendGreedy(context);
                long t0 = System.nanoTime();
                s.appendGreedy(prompt);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) {
                    secs[r] = seconds;
                    tps[r] = tokens / seconds;
                }
            }
        }
        return new Result(name("pp", tokens, depth), tokens, 0, depth, tps, secs);
    }

    public static Result decode(BloomModel model, int tokens, int depth, int repetitions) {
        int[] context = randomTokens(model.config().vocabSize(), depth, 2);
        double[] tps = new double[repetitions], secs = new double[repetitions];
        for (int r = -1; r < repetitions; r++) {
            try (Session s = model.newSession(depth + tokens)) {
                int next = depth > 0 ? s.appendGreedy(context) : model.config().bosTokenId();
                long t0 = System.nanoTime();
                for (int i = 0; i < tokens; i++) next = s.appendGreedy(next);
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) {
                    secs[r] = seconds;
                    tps[r] = tokens / seconds;
                }
            }
        }
        return new Result(name("tg", tokens, depth), 0, tokens, depth, tps, secs);
    }

    /** Prefills {@code tokens} tokens once with per-op profiling on (after the timed runs: it perturbs timing). */
    public static Profile profilePrefill(BloomModel model, int tokens) {
        try (Session s = model.newSession(tokens)) {
            s.setProfiling(true);
            s.appendGreedy(randomTokens(model.config().vocabSize(), tokens, 1));
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
