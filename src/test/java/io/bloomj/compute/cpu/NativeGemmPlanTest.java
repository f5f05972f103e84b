package io.bloomj.compute.cpu;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.BatchRequest;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.LoadOptions;
import io.bloomj.tensor.DType;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.TestTensor;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The plan's hand-off of prompt rows to a native GEMM ({@code --matmul bf16}), checked where the
 * CPU has no bf16 matmul by sending an f32 checkpoint's prompt rows through oneDNN's f32 GEMM:
 * the rows, offsets and bias the plan passes must give the reference's logits at every position
 * of a prompt longer than one chunk, with decode rows left to the Java GEMV.
 */
class NativeGemmPlanTest {
    @TempDir
    Path tmp;

    private static CpuBackend nativeF32() {
        try {
            return new CpuBackend(2, DType.F32);
        } catch (IllegalStateException e) {
            if ("1".equals(System.getenv("BLOOMJ_REQUIRE_ONEDNN"))) throw new AssertionError("BLOOMJ_REQUIRE_ONEDNN=1 but " + e.getMessage());
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    @Test
    void promptRowsThroughTheNativeGemmGiveTheReferenceLogits() throws IOException {
        CpuBackend backend = nativeF32();
        TinyBloom spec = TinyBloom.standard().withDtype("F32");
        Map<String, TestTensor> tensors = spec.writeTo(tmp);
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};
        double[][] expected = new ReferenceBloom(spec, tensors).logits(prompt);
        // chunks of 4 prompt rows: three native calls of 4, 4 and 3 rows with the cache in between
        try (BloomModel m = Bloom.load(tmp, LoadOptions.defaults().withContextLength(32).withBatchSize(4), backend)) {
            assertTrue(m.backendDescription().contains("oneDNN") && m.prefillGemm().contains("f32 matmul"), m.backendDescription());
            float[][] actual = m.logitsPerPosition(prompt);
            for (int p = 0; p < prompt.length; p++) {
                for (int v = 0; v < spec.vocab(); v++) assertEquals(expected[p][v], actual[p][v], 2e-4, "position " + p + " token " + v);
            }
        }
    }

    /**
     * Steps that mix decode rows (short prompts already generating) with prompt chunks of long
     * ones: the prompt rows after the decode rows go to the native GEMM, the decode rows stay on
     * the GEMV, so greedy tokens match the exact backend's and log-probabilities agree to fp32
     * accumulation error.
     */
    @Test
    void mixedStepsSendOnlyThePromptRowsToTheNativeGemm() throws IOException {
        CpuBackend backend = nativeF32();
        TinyBloom spec = TinyBloom.standard().withDtype("F32").withVocab(300);
        spec.writeTo(tmp);
        LoadOptions options = LoadOptions.defaults().withThreads(2).withContextLength(96).withBatchSize(16);
        List<BatchRequest> requests = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(3);
        for (int length : new int[]{1, 5, 33, 40}) {
            int[] p = new int[length];
            for (int i = 0; i < length; i++) p[i] = rnd.nextInt(300);
            requests.add(BatchRequest.of(p, GenerationConfig.builder().maxNewTokens(10).stopAtEos(false).logprobs(1).build()));
        }
        try (BloomModel exact = Bloom.load(tmp, options); BloomModel onednn = Bloom.load(tmp, options, backend)) {
            List<GenerationResult> a = exact.generateBatch(requests), b = onednn.generateBatch(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertArrayEquals(a.get(i).tokens(), b.get(i).tokens(), "sequence " + i);
                for (int t = 0; t < a.get(i).logprobs().size(); t++) {
                    assertEquals(a.get(i).logprobs().get(t).logprob(), b.get(i).logprobs().get(t).logprob(), 1e-4, "sequence " + i + " token " + t);
                }
            }
        }
    }
}
