package io.bloomj.model;

import io.bloomj.CheckpointException;
import io.bloomj.testing.SafetensorsWriter;
import io.bloomj.testing.TestTensor;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint folder is checked against its config, with errors naming file and tensor. */
class CheckpointValidationTest {
    @TempDir
    Path tmp;

    private CheckpointException load(Path dir) {
        return assertThrows(CheckpointException.class, () -> {
            try (Checkpoint c = Checkpoint.open(dir)) {
                BloomWeights.from(c);
            }
        });
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
    }

    @Test
    void acceptsConfigAliasesAndIgnoresUnusedFields() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        spec.writeTo(tmp); // n_embed, num_attention_heads, n_inner: null, pretraining_tp, ...
        try (Checkpoint c = Checkpoint.open(tmp)) {
            BloomConfig cfg = c.config();
            assertEquals(spec.hidden(), cfg.hiddenSize());
            assertEquals(spec.heads(), cfg.numHeads());
            assertEquals(spec.layers(), cfg.numLayers());
            assertEquals(4 * spec.hidden(), cfg.ffnSize());
            assertEquals(2, cfg.eosTokenId());
        }
        BloomConfig other = BloomConfig.parse(tmp, """
                {"model_type": "bloom", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "n_head": 2,
                 "layer_norm_epsilon": 1e-6, "apply_residual_connection_post_layernorm": true, "eos_token_id": [7, 8]}
                """);
        assertEquals(8, other.hiddenSize());
        assertEquals(1, other.numLayers());
        assertEquals(1e-6, other.layerNormEpsilon());
        assertTrue(other.applyResidualConnectionPostLayernorm());
        assertEquals(7, other.eosTokenId());
    }

    @Test
    void namesWithAndWithoutTransformerPrefixLoadTheSameModel() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        TinyBloom.standard().withPrefix(true).writeTo(a);
        TinyBloom.standard().withPrefix(false).writeTo(b);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cb = Checkpoint.open(b)) {
            BloomWeights wa = BloomWeights.from(ca), wb = BloomWeights.from(cb);
            assertEquals(wa.bytesPerToken(), wb.bytesPerToken());
            assertEquals(ca.find("h.1.mlp.dense_4h_to_h.weight").orElseThrow().get(5),
                    cb.find("h.1.mlp.dense_4h_to_h.weight").orElseThrow().get(5));
        }
    }

    @Test
    void tiedEmbeddingsIgnoreAnLmHeadTensor() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        Map<String, TestTensor> tensors = spec.tensors();
        tensors.put("lm_head.weight", new TestTensor("BF16", new long[] {spec.vocab(), spec.hidden()},
                new double[spec.vocab() * spec.hidden()]));
        Files.writeString(tmp.resolve("config.json"), spec.configJson());
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors);
        try (Checkpoint c = Checkpoint.open(tmp)) {
            BloomWeights w = BloomWeights.from(c);
            assertSame(w.wordEmbeddings(), w.lmHead());
        }
    }

    @Test
    void missingTensor() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        Map<String, TestTensor> tensors = spec.tensors();
        tensors.remove("h.1.self_attention.dense.bias");
        Files.writeString(tmp.resolve("config.json"), spec.configJson());
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors);
        assertMessage(load(tmp), "h.1.self_attention.dense.bias", "missing tensor");
    }

    @Test
    void wrongShape() throws IOException {
        TinyBloom spec = TinyBloom.standard();
        Map<String, TestTensor> tensors = spec.tensors();
        tensors.put("h.0.mlp.dense_h_to_4h.weight", new TestTensor("BF16", new long[] {spec.hidden(), 4 * spec.hidden()},
                new double[4 * spec.hidden() * spec.hidden()]));
        Files.writeString(tmp.resolve("config.json"), spec.configJson());
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors);
        assertMessage(load(tmp), "model.safetensors", "h.0.mlp.dense_h_to_4h.weight", "wrong shape [48, 192]", "expected [192, 48]");
    }

    @Test
    void untiedModelWithoutLmHead() throws IOException {
        TinyBloom spec = TinyBloom.standard().withTied(false);
        Map<String, TestTensor> tensors = spec.tensors();
        tensors.remove("lm_head.weight");
        Files.writeString(tmp.resolve("config.json"), spec.configJson());
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), tensors);
        assertMessage(load(tmp), "lm_head.weight", "missing tensor");
    }

    @Test
    void otherModelType() throws IOException {
        TinyBloom.standard().writeTo(tmp);
        Files.writeString(tmp.resolve("config.json"), TinyBloom.standard().configJson().replace("\"bloom\"", "\"llama\""));
        assertMessage(load(tmp), "config.json", "model_type is 'llama'", "BLOOM");
    }

    @Test
    void hiddenSizeNotDivisibleByHeads() throws IOException {
        TinyBloom.standard().writeTo(tmp);
        Files.writeString(tmp.resolve("config.json"), TinyBloom.standard().configJson()
                .replace("\"num_attention_heads\": 6", "\"num_attention_heads\": 5"));
        assertMessage(load(tmp), "config.json", "hidden size 48", "not divisible", "5");
    }

    @Test
    void malformedConfig() throws IOException {
        TinyBloom.standard().writeTo(tmp);
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"bloom\", ");
        assertMessage(load(tmp), "config.json", "malformed JSON");
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"bloom\", \"vocab_size\": 10, \"n_layer\": 1, \"n_head\": 2}");
        assertMessage(load(tmp), "config.json", "missing field hidden_size / n_embed");
    }

    @Test
    void pytorchOnlyFolder() throws IOException {
        Files.writeString(tmp.resolve("config.json"), TinyBloom.standard().configJson());
        Files.write(tmp.resolve("pytorch_model.bin"), new byte[] {0x50, 0x4b});
        assertMessage(load(tmp), "pytorch_model.bin", "requires safetensors");
    }

    @Test
    void folderWithoutConfig() {
        assertMessage(load(tmp), "config.json not found");
    }

    @Test
    void shardMissingFromIndex() throws IOException {
        TinyBloom.standard().withShards(2).writeTo(tmp);
        Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
        assertMessage(load(tmp), "model.safetensors.index.json", "model-00002-of-00002.safetensors", "missing");
    }

    @Test
    void closingUnmapsAndLeavesTheFilesUntouched() throws IOException {
        TinyBloom.standard().writeTo(tmp);
        byte[] before = Files.readAllBytes(tmp.resolve("model.safetensors"));
        Checkpoint c = Checkpoint.open(tmp);
        BloomWeights.from(c);
        c.close();
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(tmp.resolve("model.safetensors"))));
    }
}
