package io.bloomj.compute.opencl;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.Session;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole model on OpenCL (both kernel styles) against the CPU backend, on the checkpoints of
 * the reference parity test (non-power-of-2 heads, f16/f32 weights, shards, chunked prefill):
 * logits within 1e-3 at every position, identical greedy continuations, cached decoding equal to
 * full recomputation.
 */
class OpenClModelParityTest {
    private static final int[] PROMPT = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};

    @TempDir
    Path tmp;

    @BeforeEach
    void requireOpenCl() {
        TestBackends.assumeOpenCl();
    }

    private BloomModel openCl(KernelStyle style, int batch) {
        return Bloom.load(tmp, options(batch), OpenClBackend.open(0, style, ProgressListener.NONE));
    }

    private static LoadOptions options(int batch) {
        return LoadOptions.defaults().withThreads(2).withBatchSize(batch).withContextLength(64);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.bloomj.engine.ReferenceParityTest#checkpoints")
    void logitsAndGreedyTokensAgreeWithTheCpuBackend(String label, TinyBloom spec, int threads, int batch) throws Exception {
        spec.writeTo(tmp);
        try (BloomModel cpu = Bloom.load(tmp, options(batch))) {
            float[][] expected = cpu.logitsPerPosition(PROMPT);
            int[] greedy = cpu.generate(new int[] {1, 17, 42, 5}, GenerationConfig.builder().maxNewTokens(10).stopAtEos(false).build(), GenerationListener.NONE).tokens();
            for (KernelStyle style : new KernelStyle[] {KernelStyle.CPU, KernelStyle.GPU}) {
                try (BloomModel cl = openCl(style, batch)) {
                    float[][] actual = cl.logitsPerPosition(PROMPT);
                    for (int p = 0; p < PROMPT.length; p++) {
                        for (int v = 0; v < expected[p].length; v++) {
                            assertTrue(Math.abs(expected[p][v] - actual[p][v]) <= 1e-3, style + " position " + p + " token " + v
                                    + ": cpu " + expected[p][v] + ", opencl " + actual[p][v]);
                        }
                    }
                    int[] tokens = cl.generate(new int[] {1, 17, 42, 5}, GenerationConfig.builder().maxNewTokens(10).stopAtEos(false).build(), GenerationListener.NONE).tokens();
                    assertArrayEquals(greedy, tokens, style + " greedy continuation");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.bloomj.engine.ReferenceParityTest#checkpoints")
    void cachedDecodingEqualsFullRecomputation(String label, TinyBloom spec, int threads, int batch) throws Exception {
        spec.writeTo(tmp);
        for (KernelStyle style : new KernelStyle[] {KernelStyle.CPU, KernelStyle.GPU}) {
            try (BloomModel cl = openCl(style, batch); Session session = cl.newSession()) {
                session.append(Arrays.copyOf(PROMPT, 3));
                for (int k = 3; k < PROMPT.length; k++) {
                    float[] incremental = session.append(PROMPT[k]);
                    float[] full = cl.logits(Arrays.copyOf(PROMPT, k + 1));
                    for (int v = 0; v < full.length; v++) {
                        assertTrue(Math.abs(full[v] - incremental[v]) <= 1e-4, style + " after " + (k + 1) + " tokens, token " + v);
                    }
                }
            }
        }
    }
}
