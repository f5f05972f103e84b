package io.bloomj.api;

import io.bloomj.ContextLengthException;
import io.bloomj.QueueFullException;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Batched decoding on the CPU backend: a sequence's tokens and logits (compared through its
 * log-probabilities, bit for bit) are the same alone and in any batch; slots and KV blocks are
 * shared, freed and waited for.
 */
class BatchGenerationTest {
    @TempDir
    Path dir;

    /** Prompt lengths around the KV block size (32) and the tiny model's vector widths. */
    private static final int[] LENGTHS = {1, 2, 5, 17, 31, 32, 33, 70};

    private static int[] prompt(int length, long seed, int vocab) {
        Random r = new Random(seed);
        int[] p = new int[length];
        for (int i = 0; i < length; i++) p[i] = r.nextInt(vocab);
        return p;
    }

    private BloomModel load(TinyBloom spec, String weights, int threads) throws IOException {
        return load(spec, weights, threads, false);
    }

    /** {@code inPlace}: the CPU backend reading bf16 matrices where they are mapped (its GEMV and GEMM) instead of its panels. */
    private BloomModel load(TinyBloom spec, String weights, int threads, boolean inPlace) throws IOException {
        Path d = Files.createDirectories(dir.resolve(spec.dtype() + weights + spec.hidden()));
        if (!Files.exists(d.resolve("config.json"))) spec.writeTo(d);
        LoadOptions options = LoadOptions.defaults().withThreads(threads).withContextLength(160).withBatchSize(48)
                .withWeights(WeightFormat.valueOf(weights));
        return inPlace ? Bloom.load(d, options, io.bloomj.compute.cpu.CpuBackend.inPlace(threads)) : Bloom.load(d, options);
    }

    private static GenerationConfig config(int i, int n) {
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(n).stopAtEos(false).logprobs(3);
        return switch (i % 3) {
            case 0 -> b.build();                                                       // greedy
            case 1 -> b.temperature(0.9f).topP(0.9f).seed(11 + i).build();             // sampled
            default -> b.temperature(0.7f).topK(20).repetitionPenalty(1.3f).seed(5 + i).build();
        };
    }

    private static void assertSame(GenerationResult alone, GenerationResult batched, String what) {
        assertArrayEquals(alone.tokens(), batched.tokens(), what + ": tokens");
        assertEquals(alone.finishReason(), batched.finishReason(), what);
        assertEquals(alone.logprobs().size(), batched.logprobs().size(), what);
        for (int t = 0; t < alone.logprobs().size(); t++) {
            TokenLogprob a = alone.logprobs().get(t), b = batched.logprobs().get(t);
            // Bit-for-bit logits give bit-for-bit log-probabilities.
            assertEquals(a.logprob(), b.logprob(), 0.0, what + ": log-probability of token " + t);
            assertEquals(a.top(), b.top(), what + ": alternatives of token " + t);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16/CHECKPOINT", "F32/CHECKPOINT", "F16/CHECKPOINT", "BF16/Q8_0", "BF16-40/CHECKPOINT", "BF16-40/Q8_0",
            "BF16/CHECKPOINT/in-place", "BF16-40/CHECKPOINT/in-place"})
    void aSequenceGetsTheSameBitsAloneAndInAnyBatch(String variant) throws IOException {
        String[] v = variant.split("/");
        TinyBloom spec = TinyBloom.standard().withVocab(300).withDtype(v[0].replace("-40", ""));
        if (v[0].endsWith("-40")) spec = spec.withHeads(5, 40);     // head_dim 8, rows of 40 and 160: vector tails
        try (BloomModel m = load(spec, v[1], 2, v.length > 2)) {
            List<BatchRequest> requests = new ArrayList<>();
            List<GenerationResult> alone = new ArrayList<>();
            for (int i = 0; i < LENGTHS.length; i++) {
                int[] p = prompt(LENGTHS[i], i, 300);
                GenerationConfig c = config(i, 12 + i);
                requests.add(BatchRequest.of(p, c));
                alone.add(m.generate(p, c, GenerationListener.NONE));
            }
            List<GenerationResult> all = m.generateBatch(requests);
            for (int i = 0; i < requests.size(); i++) assertSame(alone.get(i), all.get(i), "prompt of " + LENGTHS[i] + " in the full batch");
            // Other compositions: pairs, and the reverse order.
            for (int i = 0; i + 1 < requests.size(); i += 2) {
                List<GenerationResult> two = m.generateBatch(List.of(requests.get(i + 1), requests.get(i)));
                assertSame(alone.get(i + 1), two.get(0), "prompt of " + LENGTHS[i + 1] + " in a pair");
                assertSame(alone.get(i), two.get(1), "prompt of " + LENGTHS[i] + " in a pair");
            }
        }
    }

    /** The same on the OpenCL backend (PoCL in CI): paged KV, per-row kernels, a draw per sequence on the device. */
    @ParameterizedTest
    @ValueSource(strings = {"CHECKPOINT", "Q8_0"})
    void openClBatchesGiveEachSequenceItsAloneBits(String weights) throws IOException {
        io.bloomj.testing.TestBackends.assumeOpenCl();
        deviceBatchesGiveEachSequenceItsAloneBits("opencl", weights);
    }

    /** The same on the CUDA backend (the GPU check; skipped without a GPU unless BLOOMJ_REQUIRE_CUDA=1). */
    @ParameterizedTest
    @ValueSource(strings = {"CHECKPOINT", "Q8_0"})
    void cudaBatchesGiveEachSequenceItsAloneBits(String weights) throws IOException {
        io.bloomj.testing.TestBackends.assumeCuda();
        deviceBatchesGiveEachSequenceItsAloneBits("cuda", weights);
    }

    /**
     * Prompts of 1, 5, 33 and 40 tokens (a prompt chunk, a KV block boundary at 32), greedy and
     * sampled with a repetition penalty: each sequence of one generateBatch gets the tokens and
     * logprobs it gets alone through the one-sequence path.
     */
    private void deviceBatchesGiveEachSequenceItsAloneBits(String backend, String weights) throws IOException {
        TinyBloom spec = TinyBloom.standard().withVocab(300);
        Path d = Files.createDirectories(dir.resolve(backend + weights));
        spec.writeTo(d);
        try (BloomModel m = Bloom.load(d, LoadOptions.defaults().withBackend(backend).withContextLength(160).withBatchSize(48)
                .withWeights(WeightFormat.valueOf(weights)))) {
            int[] lengths = {1, 5, 33, 40};
            List<BatchRequest> requests = new ArrayList<>();
            List<GenerationResult> alone = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                int[] p = prompt(lengths[i], 20 + i, 300);
                GenerationConfig c = config(i, 9 + i);
                requests.add(BatchRequest.of(p, c));
                alone.add(m.generate(p, c, GenerationListener.NONE));
            }
            List<GenerationResult> all = m.generateBatch(requests);
            for (int i = 0; i < requests.size(); i++) assertSame(alone.get(i), all.get(i), backend + ": prompt of " + lengths[i]);
        }
    }

    @Test
    void batchedGreedyTokensMatchTheReferenceModel() throws IOException {
        TinyBloom spec = TinyBloom.standard().withVocab(300).withDtype("F32");
        Path d = Files.createDirectories(dir.resolve("ref"));
        ReferenceBloom reference = new ReferenceBloom(spec, spec.writeTo(d));
        try (BloomModel m = Bloom.load(d, LoadOptions.defaults().withThreads(2).withContextLength(128))) {
            List<BatchRequest> requests = new ArrayList<>();
            for (int i = 0; i < 4; i++) requests.add(BatchRequest.of(prompt(3 + 9 * i, 40 + i, 300), GenerationConfig.builder().maxNewTokens(6).stopAtEos(false).build()));
            List<GenerationResult> out = m.generateBatch(requests);
            for (int i = 0; i < 4; i++) assertArrayEquals(reference.greedy(requests.get(i).prompt(), 6), out.get(i).tokens(), "request " + i);
        }
    }

    @Test
    void aSequenceJoiningARunningBatchChangesNothing() throws Exception {
        TinyBloom spec = TinyBloom.standard().withVocab(300);
        try (BloomModel m = load(spec, "CHECKPOINT", 2)) {
            int[] a = prompt(20, 1, 300), b = prompt(45, 2, 300);
            GenerationConfig ca = config(0, 60), cb = config(1, 20);
            GenerationResult aloneA = m.generate(a, ca, GenerationListener.NONE), aloneB = m.generate(b, cb, GenerationListener.NONE);
            try (BatchGenerator g = m.newBatchGenerator(BatchOptions.of(4), BatchGenerator.Observer.NONE)) {
                CountDownLatch started = new CountDownLatch(10);
                CompletableFuture<GenerationResult> fa = g.submit(a, ca, (t, s) -> started.countDown(), null);
                assertTrue(started.await(30, TimeUnit.SECONDS));
                CompletableFuture<GenerationResult> fb = g.submit(b, cb, GenerationListener.NONE, null);
                GenerationResult ra = fa.get(30, TimeUnit.SECONDS), rb = fb.get(30, TimeUnit.SECONDS);
                assertTrue(ra.generatedTokens() > 10 + 1, "b joined while a was running");
                assertSame(aloneA, ra, "the running sequence");
                assertSame(aloneB, rb, "the joining sequence");
            }
        }
    }

    @Test
    void aCancelledSequenceFreesItsSlotForTheNextOne() throws Exception {
        try (BloomModel m = load(TinyBloom.standard().withVocab(300), "CHECKPOINT", 1);
             BatchGenerator g = m.newBatchGenerator(BatchOptions.of(1).withQueue(4), BatchGenerator.Observer.NONE)) {
            Cancellation cancel = new Cancellation();
            CountDownLatch running = new CountDownLatch(3);
            GenerationConfig endless = GenerationConfig.builder().maxNewTokens(150).stopAtEos(false).build();
            CompletableFuture<GenerationResult> first = g.submit(prompt(4, 3, 300), endless, (t, s) -> running.countDown(), cancel);
            CompletableFuture<GenerationResult> second = g.submit(prompt(4, 4, 300), GenerationConfig.greedy(3), GenerationListener.NONE, null);
            assertTrue(running.await(30, TimeUnit.SECONDS));
            assertEquals(1, g.queueDepth(), "the second request waits for the only slot");
            cancel.cancel();
            assertEquals(FinishReason.CANCELLED, first.get(30, TimeUnit.SECONDS).finishReason());
            assertTrue(first.get().generatedTokens() < 150);
            assertEquals(3, second.get(30, TimeUnit.SECONDS).generatedTokens(), "the freed slot served the waiting request");
        }
    }

    @Test
    void aFullQueueRefusesAndBadRequestsAreRefusedUpFront() throws Exception {
        try (BloomModel m = load(TinyBloom.standard().withVocab(300), "CHECKPOINT", 1);
             BatchGenerator g = m.newBatchGenerator(BatchOptions.of(1).withQueue(1), BatchGenerator.Observer.NONE)) {
            Cancellation cancel = new Cancellation();
            CountDownLatch running = new CountDownLatch(1);
            GenerationConfig endless = GenerationConfig.builder().maxNewTokens(150).stopAtEos(false).build();
            CompletableFuture<GenerationResult> first = g.submit(prompt(4, 3, 300), endless, (t, s) -> running.countDown(), cancel);
            assertTrue(running.await(30, TimeUnit.SECONDS));
            CompletableFuture<GenerationResult> queued = g.submit(prompt(4, 4, 300), GenerationConfig.greedy(2), GenerationListener.NONE, null);
            assertThrows(QueueFullException.class, () -> g.submit(prompt(4, 5, 300), GenerationConfig.greedy(2), GenerationListener.NONE, null));
            assertThrows(ContextLengthException.class, () -> g.submit(prompt(161, 6, 300), GenerationConfig.greedy(2), GenerationListener.NONE, null));
            assertThrows(io.bloomj.InvalidInputException.class, () -> g.submit(new int[] {300}, GenerationConfig.greedy(2), GenerationListener.NONE, null));
            cancel.cancel();
            assertEquals(2, queued.get(30, TimeUnit.SECONDS).generatedTokens());
            first.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void sequencesThatDoNotFitTogetherWaitForBlocksAndStillMatch() throws Exception {
        TinyBloom spec = TinyBloom.standard().withVocab(300);
        try (BloomModel m = load(spec, "CHECKPOINT", 2);
             // 4 slots but a pool of 128 tokens: two sequences of ~100 tokens cannot run together
             BatchGenerator g = m.newBatchGenerator(BatchOptions.of(4).withKvTokens(128), BatchGenerator.Observer.NONE)) {
            int[] a = prompt(60, 8, 300), b = prompt(50, 9, 300);
            GenerationConfig c = config(0, 40);
            CompletableFuture<GenerationResult> fa = g.submit(a, c, GenerationListener.NONE, null);
            CompletableFuture<GenerationResult> fb = g.submit(b, c, GenerationListener.NONE, null);
            assertSame(m.generate(a, c, GenerationListener.NONE), fa.get(30, TimeUnit.SECONDS), "first");
            assertSame(m.generate(b, c, GenerationListener.NONE), fb.get(30, TimeUnit.SECONDS), "second, after waiting");
        }
    }

    @Test
    void drainFinishesRunningWorkThenRefuses() throws Exception {
        try (BloomModel m = load(TinyBloom.standard().withVocab(300), "CHECKPOINT", 1)) {
            BatchGenerator g = m.newBatchGenerator(BatchOptions.of(2), BatchGenerator.Observer.NONE);
            CompletableFuture<GenerationResult> f = g.submit(prompt(4, 3, 300), GenerationConfig.builder().maxNewTokens(5).stopAtEos(false).build(),
                    GenerationListener.NONE, null);
            g.drain(Duration.ofSeconds(30));
            assertEquals(FinishReason.LENGTH, f.get(1, TimeUnit.SECONDS).finishReason());
            assertThrows(io.bloomj.ClosedException.class, () -> g.submit(new int[] {1}, GenerationConfig.greedy(1), GenerationListener.NONE, null));
        }
    }
}
