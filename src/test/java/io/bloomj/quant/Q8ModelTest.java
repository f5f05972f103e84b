package io.bloomj.quant;

import io.bloomj.CheckpointException;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;
import io.bloomj.model.BloomWeights;
import io.bloomj.model.QuantizedCheckpointWriter;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.TestTensor;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model loaded with 8-bit weights: every backend computes exactly the model whose weights are
 * the dequantized values (checked against the independent double reference fed those values),
 * the quantized folder written by {@code bloomj quantize} loads back bit-identical, and a folder
 * that claims the format but is malformed gets a clear error. The hidden size 48 leaves a partial
 * block of 16 at the end of every row.
 */
class Q8ModelTest {
    private static final int[] PROMPT = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};

    @TempDir
    Path tmp;

    private static LoadOptions q8() {
        return LoadOptions.defaults().withThreads(2).withContextLength(32).withWeights(WeightFormat.Q8_0);
    }

    /** The loaded weights as the reference reads them: every value as the kernels must see it (q * scale for matrices). */
    static Map<String, TestTensor> dequantized(BloomWeights w) {
        Map<String, TestTensor> t = new LinkedHashMap<>();
        w.named().forEach((name, weight) -> put(t, name, weight));
        put(t, "lm_head.weight", w.lmHead());   // the reference reads the head by this name, tied or not
        return t;
    }

    private static void put(Map<String, TestTensor> t, String name, Weight w) {
        double[] v = new double[Math.toIntExact(w.numel())];
        for (int i = 0; i < v.length; i++) v[i] = w.get(i);
        t.put(name, new TestTensor(w.dtype().name(), w.shape(), v));
    }

    @Test
    void everyBackendRunsTheModelOfTheDequantizedWeights() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        spec.writeTo(tmp);
        double[][] expected;
        try (BloomModel cpu = Bloom.load(tmp, q8())) {
            assertEquals("Q8_0", cpu.weightDtype());
            expected = new ReferenceBloom(spec, dequantized(cpu.weights())).logits(PROMPT);
        }
        for (TestBackends.Named named : TestBackends.all()) {
            try (BloomModel m = Bloom.load(tmp, q8(), named.open().get())) {
                float[][] actual = m.logitsPerPosition(PROMPT);
                for (int p = 0; p < PROMPT.length; p++) {
                    for (int v = 0; v < spec.vocab(); v++) {
                        assertEquals(expected[p][v], actual[p][v], 1e-3, named + " position " + p + " token " + v);
                    }
                }
            }
        }
    }

    @Test
    void quantizingChangesTheLogitsByTheInt8StepOnly() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        spec.writeTo(tmp);
        try (BloomModel bf16 = Bloom.load(tmp, q8().withWeights(WeightFormat.CHECKPOINT)); BloomModel q8 = Bloom.load(tmp, q8())) {
            float[] a = bf16.logits(PROMPT), b = q8.logits(PROMPT);
            double worst = 0, diff = 0, size = 0, top = 0;
            for (int v = 0; v < a.length; v++) {
                worst = Math.max(worst, Math.abs(a[v] - b[v]));
                diff += Math.abs(a[v] - b[v]);
                size += Math.abs(a[v]);
                top = Math.max(top, Math.abs(a[v]));
            }
            assertTrue(worst > 1e-4, "the q8 model differs from the bf16 one: " + worst);
            // int8 steps are 1/127 of a block's largest weight: a few percent through two layers of random weights
            assertTrue(diff / size < 0.05, "mean |difference| " + diff / a.length + " against mean |logit| " + size / a.length);
            assertTrue(worst < 0.1 * top, "largest difference " + worst + " against largest |logit| " + top);
            assertTrue(q8.weightBytesPerToken() < 0.6 * bf16.weightBytesPerToken(),
                    q8.weightBytesPerToken() + " bytes per token against " + bf16.weightBytesPerToken());
        }
    }

    @Test
    void aQuantizedFolderLoadsBackBitIdentical() throws IOException {
        TinyBloom spec = TinyBloom.standard().withTied(false).withPrefix(false);
        Path src = tmp.resolve("src"), out = tmp.resolve("q8");
        spec.writeTo(src);
        try (BloomModel loaded = Bloom.load(src, q8())) {
            QuantizedCheckpointWriter.write(src, loaded.weights(), out, n -> { });
            try (BloomModel saved = Bloom.load(out, q8().withWeights(WeightFormat.CHECKPOINT))) {
                assertEquals("Q8_0", saved.weightDtype(), "the folder's own format, with no --weights asked");
                Map<String, TestTensor> a = dequantized(loaded.weights()), b = dequantized(saved.weights());
                for (String name : a.keySet()) assertArrayEquals(a.get(name).values(), b.get(name).values(), name);
                assertTrue(java.util.Arrays.equals(loaded.weights().lmHead().scales().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        saved.weights().lmHead().scales().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)), "untied head scales");
                // Bit-identical weights give the same logits; only the JIT tier a kernel ran in (its lane
                // sums are ordered differently interpreted and compiled) may move the last float bit.
                float[] before = loaded.logits(PROMPT), after = saved.logits(PROMPT);
                for (int v = 0; v < before.length; v++) assertEquals(before[v], after[v], 1e-6 * (1 + Math.abs(before[v])), "logit " + v);
            }
        }
        assertThrows(io.bloomj.BloomjException.class, () -> {
            try (BloomModel loaded = Bloom.load(src, q8())) {
                QuantizedCheckpointWriter.write(src, loaded.weights(), out, n -> { });
            }
        }, "an existing folder is never overwritten");
    }

    /** Rewrites the safetensors header of a quantized folder (same length, so offsets stay valid). */
    private static void editHeader(Path file, String from, String to) throws IOException {
        assertEquals(from.length(), to.length());
        byte[] bytes = Files.readAllBytes(file);
        String s = new String(bytes, StandardCharsets.ISO_8859_1);
        int at = s.indexOf(from);
        assertTrue(at > 0, from);
        System.arraycopy(to.getBytes(StandardCharsets.ISO_8859_1), 0, bytes, at, to.length());
        Files.write(file, bytes);
    }

    @Test
    void aFolderThatClaimsTheFormatButIsMalformedIsRefusedClearly() throws IOException {
        TinyBloom.standard().writeTo(tmp.resolve("src"));
        try (BloomModel loaded = Bloom.load(tmp.resolve("src"), q8())) {
            for (String name : new String[] {"nometa", "noscale", "badscale", "infscale"}) {
                QuantizedCheckpointWriter.write(tmp.resolve("src"), loaded.weights(), tmp.resolve(name), n -> { });
            }
        }
        editHeader(tmp.resolve("nometa/model.safetensors"), "\"bloomj.weights\":\"q8_0\"", "\"bloomj.weights\":\"none\"");
        editHeader(tmp.resolve("noscale/model.safetensors"), "h.0.mlp.dense_h_to_4h.weight_scale", "h.0.mlp.dense_h_to_4h.weight_scalf");
        editHeader(tmp.resolve("badscale/model.safetensors"), "\"dtype\":\"F16\",\"shape\":[192,2]", "\"dtype\":\"F16\",\"shape\":[384,1]");
        setScaleBits(tmp.resolve("infscale/model.safetensors"), "h.1.self_attention.dense.weight_scale", 5, (short) 0x7C00);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Bloom.load(tmp.resolve("nometa"), q8()).close());
        assertTrue(e.getMessage().contains("unsupported dtype 'I8'") && e.getMessage().contains("bloomj.weights"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Bloom.load(tmp.resolve("noscale"), q8()).close());
        assertTrue(e.getMessage().contains("h.0.mlp.dense_h_to_4h.weight") && e.getMessage().contains("without their scales"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Bloom.load(tmp.resolve("badscale"), q8()).close());
        assertTrue(e.getMessage().contains("scales must be F16 [192, 2]"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Bloom.load(tmp.resolve("infscale"), q8()).close());
        assertTrue(e.getMessage().contains("h.1.self_attention.dense.weight_scale") && e.getMessage().contains("block 1 is not finite (fp16 bits 0x7c00)"),
                e.getMessage());
    }

    /** Overwrites the {@code index}-th fp16 of tensor {@code name}'s data in a safetensors file. */
    private static void setScaleBits(Path file, String name, int index, short bits) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        var header = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        int at = (int) (8 + headerLength + header.get(name).get("data_offsets").get(0).asLong() + 2L * index);
        bytes[at] = (byte) bits;
        bytes[at + 1] = (byte) (bits >> 8);
        Files.write(file, bytes);
    }
}
