package io.bloomj.engine;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.Session;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.TestTensor;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole model on the CPU backend against the double-precision reference: logits at every
 * position, cached (incremental) decoding against full recomputation, greedy continuations.
 */
class ReferenceParityTest {
    private static final int[] PROMPT = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};
    private static final double TOLERANCE = 1e-3;

    @TempDir
    Path tmp;

    /** Shared with the device backends' parity tests. */
    static Stream<Arguments> checkpoints() {
        TinyBloom std = TinyBloom.standard();
        return Stream.of(
                Arguments.of("6 heads, bf16, transformer. prefix", std, 2, 512),
                Arguments.of("4 heads, f32, no prefix, 1 thread", std.withDtype("F32").withHeads(4, 64).withPrefix(false), 1, 512),
                Arguments.of("12 heads (8 + 4 extra slopes), f16, post-LN residual, untied head",
                        std.withDtype("F16").withHeads(12, 60).withPostLn(true).withTied(false), 3, 512),
                Arguments.of("3 heads, sharded over 3 files, prefill in chunks of 4", std.withHeads(3, 48).withShards(3), 2, 4),
                Arguments.of("5 heads, odd hidden 80 with vector tails, 3 layers", std.withHeads(5, 80).withLayers(3), 2, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checkpoints")
    void logitsAgreeWithReferenceAtEveryPosition(String label, TinyBloom spec, int threads, int batch) throws Exception {
        Map<String, TestTensor> tensors = spec.writeTo(tmp);
        double[][] expected = new ReferenceBloom(spec, tensors).logits(PROMPT);
        try (BloomModel model = Bloom.load(tmp, options(threads, batch))) {
            float[][] actual = model.logitsPerPosition(PROMPT);
            double magnitude = 0;
            for (int p = 0; p < PROMPT.length; p++) {
                for (int v = 0; v < spec.vocab(); v++) {
                    magnitude = Math.max(magnitude, Math.abs(expected[p][v]));
                    assertClose(expected[p][v], actual[p][v], "position " + p + " token " + v);
                }
            }
            assertTrue(magnitude > 1 && magnitude < 100, "reference logits should be O(1-10), max |logit| " + magnitude);
            float[] last = model.logits(PROMPT);
            for (int v = 0; v < spec.vocab(); v++) assertClose(expected[PROMPT.length - 1][v], last[v], "last-position logits, token " + v);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checkpoints")
    void cachedDecodingEqualsFullRecomputation(String label, TinyBloom spec, int threads, int batch) throws Exception {
        spec.writeTo(tmp);
        try (BloomModel model = Bloom.load(tmp, options(threads, batch)); Session session = model.newSession()) {
            session.append(java.util.Arrays.copyOf(PROMPT, 3));
            for (int k = 3; k < PROMPT.length; k++) {
                float[] incremental = session.append(PROMPT[k]);
                float[] full = model.logits(java.util.Arrays.copyOf(PROMPT, k + 1));
                for (int v = 0; v < full.length; v++) {
                    assertTrue(Math.abs(full[v] - incremental[v]) <= 1e-4,
                            "after " + (k + 1) + " tokens, token " + v + ": cached " + incremental[v] + " vs full " + full[v]);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("checkpoints")
    void greedyContinuationMatchesReference(String label, TinyBloom spec, int threads, int batch) throws Exception {
        Map<String, TestTensor> tensors = spec.writeTo(tmp);
        int[] prompt = {1, 17, 42, 5};
        int[] expected = new ReferenceBloom(spec, tensors).greedy(prompt, 10);
        try (BloomModel model = Bloom.load(tmp, options(threads, batch))) {
            GenerationResult r = model.generate(prompt, GenerationConfig.builder().maxNewTokens(10).stopAtEos(false).build(), GenerationListener.NONE);
            assertArrayEquals(expected, r.tokens());
        }
    }

    private static LoadOptions options(int threads, int batch) {
        return LoadOptions.defaults().withThreads(threads).withBatchSize(batch).withContextLength(64);
    }

    private static void assertClose(double expected, float actual, String where) {
        assertTrue(Math.abs(expected - actual) <= TOLERANCE, where + ": expected " + expected + ", got " + actual
                + " (|diff| " + Math.abs(expected - actual) + ")");
    }
}
