package io.bloomj.bench;

import io.bloomj.api.BatchGenerator;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.Session;
import io.bloomj.compute.Profile;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * llama-bench style throughput tests on a loaded model. {@code ppN@dD} prefills N random tokens
 * after D tokens already in the cache; {@code tgN@dD} decodes N tokens one by one (greedy) after D.
 * Each test runs once untimed (warm-up: JIT, page faults of the mapped weights, kernel builds) and
 * then {@code repetitions} timed times, each in a fresh session; the depth's prefill is not timed.
 */
public final class ThroughputBench {
    /** Tokens per second and seconds of each timed repetition. */
    /**
     * @param nParallel       sequences decoded together (1 for the one-sequence tests)
     * @param tokensPerSecond all sequences' tokens per second (aggregate) of each repetition
     */
    public record Result(String test, int nPrompt, int nGen, int nDepth, int nParallel, double[] tokensPerSecond, double[] seconds) {
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
        return new Result(name("pp", tokens, depth), tokens, 0, depth, 1, tps, secs);
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
        return new Result(name("tg", tokens, depth), 0, tokens, depth, 1, tps, secs);
    }

    /**
     * {@code tgN@plB} (llama-batched-bench's S_TG): {@code parallel} sequences, each decoding
     * {@code tokens} tokens greedily from one random token, in one batch; aggregate tokens per second
     * of all of them (per sequence: divide by {@code parallel}).
     */
    public static Result parallelDecode(BloomModel model, int tokens, int parallel, int repetitions) {
        int vocab = model.config().vocabSize();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(tokens).stopAtEos(false).build();
        double[] tps = new double[repetitions], secs = new double[repetitions];
        BatchOptions options = BatchOptions.of(parallel).withQueue(parallel).withKvTokens(parallel * (tokens + BatchOptions.BLOCK_SIZE));
        try (BatchGenerator g = model.newBatchGenerator(options, BatchGenerator.Observer.NONE)) {
            for (int r = -1; r < repetitions; r++) {
                int[] first = randomTokens(vocab, parallel, 3 + r);
                long t0 = System.nanoTime();
                List<CompletableFuture<GenerationResult>> running = new ArrayList<>();
                for (int i = 0; i < parallel; i++) running.add(g.submit(new int[] {first[i]}, config, GenerationListener.NONE, null));
                for (CompletableFuture<GenerationResult> f : running) f.join();
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) {
                    secs[r] = seconds;
                    tps[r] = (double) tokens * parallel / seconds;
                }
            }
        }
        return new Result("tg" + tokens + "@pl" + parallel, 0, tokens, 0, parallel, tps, secs);
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
