package io.bloomj.tornado;

import io.bloomj.api.BatchRequest;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.RandomCheckpointWriter;
import io.bloomj.tensor.DType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole model on TornadoVM against the CPU backend, on random checkpoints: logits of every
 * position within 1e-3, the same greedy tokens, logits after cached decoding equal to a full pass,
 * and each sequence of a batch with the bits it gets alone.
 */
class TornadoModelTest {
    @TempDir
    static Path dir;

    /** Both shapes; the tiny one with the decode kernels in both styles (cpu: a work-item per row; gpu: a work-group per row). */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("tiny bf16 (8 heads of 16), gpu-style kernels", BloomConfig.of(4096, 128, 2, 8), DType.BF16),
                Arguments.of("tiny bf16 (8 heads of 16), cpu-style kernels", BloomConfig.of(4096, 128, 2, 8), DType.BF16),
                Arguments.of("odd: vocab 300, hidden 80, 5 heads, 3 layers, f16, gpu-style kernels", BloomConfig.of(300, 80, 3, 5), DType.F16),
                Arguments.of("tiny bf16 quantized to Q8_0 at load, cpu-style kernels", BloomConfig.of(4096, 128, 2, 8), DType.BF16));
    }

    @org.junit.jupiter.api.BeforeEach
    void style(org.junit.jupiter.api.TestInfo info) {
        System.setProperty("bloomj.tornado.style", info.getDisplayName().contains("cpu-style") ? "cpu" : "gpu");
    }

    @org.junit.jupiter.api.AfterEach
    void noStyle() {
        System.clearProperty("bloomj.tornado.style");
    }

    private static Path checkpoint(String name, BloomConfig c, DType dtype) {
        Path d = dir.resolve(name.replaceAll(", (cpu|gpu)-style kernels", "").replace(" quantized to Q8_0 at load", "").replaceAll("[^a-z0-9]", "_"));
        if (!d.toFile().exists()) RandomCheckpointWriter.write(c, dtype, 7, d, b -> { });
        return d;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void logitsAndGreedyTokensMatchTheCpuBackend(String name, BloomConfig c, DType dtype) {
        Path d = checkpoint(name, c, dtype);
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50, 3, 2};
        WeightFormat format = name.contains("Q8_0") ? WeightFormat.Q8_0 : WeightFormat.CHECKPOINT;
        try (BloomModel cpu = Bloom.load(d, LoadOptions.defaults().withThreads(2).withContextLength(64).withWeights(format));
             BloomModel tv = Bloom.load(d, LoadOptions.defaults().withBackend("tornado").withContextLength(64).withWeights(format))) {
            float[][] expected = cpu.logitsPerPosition(prompt);
            float[][] got = tv.logitsPerPosition(prompt);
            double max = 0;
            for (int p = 0; p < expected.length; p++) {
                for (int v = 0; v < expected[p].length; v++) max = Math.max(max, Math.abs(expected[p][v] - got[p][v]));
            }
            System.out.printf("%s: max |tornado - cpu| logit difference %.3g%n", name, max);
            if (format == WeightFormat.Q8_0) {
                // the 8-bit weights are in use: the logits move away from the checkpoint's by far more than the tolerance
                try (BloomModel plain = Bloom.load(d, LoadOptions.defaults().withThreads(2).withContextLength(64))) {
                    float[] a = plain.logits(prompt), b = got[got.length - 1];
                    double moved = 0;
                    for (int v = 0; v < a.length; v++) moved = Math.max(moved, Math.abs(a[v] - b[v]));
                    System.out.printf("%s: max |q8_0 - checkpoint| logit difference %.3g%n", name, moved);
                    assertTrue(moved > 1e-2, name + ": Q8_0 logits equal the checkpoint's (" + moved + "): not quantized?");
                }
            }
            assertTrue(max < 1e-3, name + ": max logit difference " + max);
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(12).stopAtEos(false).build();
            GenerationResult a = cpu.generate(prompt, greedy, GenerationListener.NONE);
            GenerationResult b = tv.generate(prompt, greedy, GenerationListener.NONE);
            assertArrayEquals(a.tokens(), b.tokens(), name + ": greedy tokens");
            // cached == full: the last logits after decoding equal a full pass over prompt + generated tokens
            int[] all = new int[prompt.length + b.tokens().length - 1];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(b.tokens(), 0, all, prompt.length, b.tokens().length - 1);
            float[] full = tv.logits(all);
            float[] cpuFull = cpu.logits(all);
            double d2 = 0;
            for (int v = 0; v < full.length; v++) d2 = Math.max(d2, Math.abs(full[v] - cpuFull[v]));
            assertTrue(d2 < 1e-3, name + ": full pass " + d2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void batchedSequencesGetTheirAloneBits(String name, BloomConfig c, DType dtype) {
        Path d = checkpoint(name, c, dtype);
        WeightFormat format = name.contains("Q8_0") ? WeightFormat.Q8_0 : WeightFormat.CHECKPOINT;
        try (BloomModel tv = Bloom.load(d, LoadOptions.defaults().withBackend("tornado").withContextLength(96).withBatchSize(48).withWeights(format))) {
            int[] lengths = {1, 5, 33, 40};
            List<BatchRequest> requests = new ArrayList<>();
            List<GenerationResult> alone = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                int[] p = new int[lengths[i]];
                for (int k = 0; k < p.length; k++) p[k] = (k * 37 + i * 11 + 3) % c.vocabSize();
                GenerationConfig.Builder g = GenerationConfig.builder().maxNewTokens(8).stopAtEos(false);
                GenerationConfig cfg = i % 2 == 0 ? g.build() : g.temperature(0.8f).topP(0.9f).topK(50).repetitionPenalty(1.2f).seed(5 + i).build();
                requests.add(BatchRequest.of(p, cfg));
                alone.add(tv.generate(p, cfg, GenerationListener.NONE));
            }
            List<GenerationResult> all = tv.generateBatch(requests);
            for (int i = 0; i < lengths.length; i++) assertArrayEquals(alone.get(i).tokens(), all.get(i).tokens(), name + ": prompt of " + lengths[i]);
        }
    }
}
