package io.bloomj.model;

import io.bloomj.CheckpointException;
import io.bloomj.testing.SafetensorsWriter;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs that used to load anyway (or fail with the wrong kind of error) are refused with a
 * CheckpointException naming the file: safetensors headers as the reference implementation reads
 * them, shapes whose sizes overflow, and every config value the forward pass uses.
 */
class StrictParsingTest {
    @TempDir
    Path tmp;

    private CheckpointException open(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, arena));
        }
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
    }

    private static final String ONE = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";

    @Test
    void safetensorsHeadersAreOneObjectPaddedWithSpacesWithoutDuplicates() throws IOException {
        Path f = tmp.resolve("h.safetensors");
        SafetensorsWriter.writeRaw(f, ONE + "}   ", 4);   // the valid form: spaces after the object
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(SafetensorsFile.open(f, arena).tensors().containsKey("a"));
        }
        SafetensorsWriter.writeRaw(f, ONE + "} {}", 4);
        assertMessage(open(f), "h.safetensors", "malformed JSON");
        SafetensorsWriter.writeRaw(f, ONE + "}\n\t", 4);
        assertMessage(open(f), "h.safetensors", "not padding spaces");
        SafetensorsWriter.writeRaw(f, ONE + ",\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertMessage(open(f), "h.safetensors", "malformed JSON", "Duplicate field 'a'");
        SafetensorsWriter.writeRaw(f, ONE + ",\"__metadata__\":[1,2]}", 4);
        assertMessage(open(f), "h.safetensors", "__metadata__ must be an object");
    }

    @Test
    void shapesWhoseSizeOverflowsAreRefusedByName() throws IOException {
        Path f = tmp.resolve("o.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4);
        assertMessage(open(f), "o.safetensors", "tensor 'w'", "more elements than a file can hold");
        // 2^62 elements fit a long, their bytes as F32 do not: the old check wrapped to a small span
        SafetensorsWriter.writeRaw(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 0);
        assertMessage(open(f), "o.safetensors", "tensor 'w'", "more bytes than a file can hold");
    }

    private CheckpointException loadWithConfig(String from, String to) throws IOException {
        TinyBloom.standard().writeTo(tmp);
        String config = TinyBloom.standard().configJson();
        assertTrue(config.contains(from), from);
        Files.writeString(tmp.resolve("config.json"), config.replace(from, to));
        return assertThrows(CheckpointException.class, () -> Checkpoint.open(tmp).close());
    }

    @Test
    void everyConfigValueTheForwardPassUsesIsChecked() throws IOException {
        assertMessage(loadWithConfig("\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": -1e-05"), "config.json", "layer_norm_epsilon", ">= 0");
        assertMessage(loadWithConfig("\"layer_norm_epsilon\": 1e-05", "\"layer_norm_epsilon\": \"NaN\""), "config.json", "layer_norm_epsilon must be a number");
        assertMessage(loadWithConfig("\"eos_token_id\": 2", "\"eos_token_id\": 96"), "config.json", "eos 96", "[0, 96)");
        assertMessage(loadWithConfig("\"eos_token_id\": 2", "\"eos_token_id\": 3000000000"), "config.json", "eos -1", "[0, 96)");
        assertMessage(loadWithConfig("\"eos_token_id\": 2", "\"eos_token_id\": -5"), "config.json", "eos -5");
    }

    @Test
    void anAbsurdLayerCountFailsOnTheMissingTensorNotOnMemory() throws IOException {
        TinyBloom.standard().writeTo(tmp);
        Files.writeString(tmp.resolve("config.json"), TinyBloom.standard().configJson().replace("\"n_layer\": 2", "\"n_layer\": 2147483647"));
        try (Checkpoint c = Checkpoint.open(tmp)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> BloomWeights.from(c));
            assertMessage(e, "h.2.input_layernorm.weight", "missing tensor");
        }
    }
}
