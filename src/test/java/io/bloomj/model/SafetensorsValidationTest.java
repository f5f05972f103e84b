package io.bloomj.model;

import io.bloomj.CheckpointException;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;
import io.bloomj.testing.SafetensorsWriter;
import io.bloomj.testing.TestTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every structural defect of a safetensors file gives an error naming the file (and tensor). */
class SafetensorsValidationTest {
    @TempDir
    Path tmp;

    private CheckpointException open(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file, arena));
        }
    }

    private static void assertMessage(CheckpointException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' should mention '" + p + "'");
    }

    @Test
    void readsEveryDtypeZeroCopyWithExactValues() throws IOException {
        Map<String, TestTensor> tensors = new LinkedHashMap<>();
        tensors.put("a", new TestTensor("BF16", new long[] {2, 3}, values("BF16", 6)));
        tensors.put("b", new TestTensor("F16", new long[] {5}, values("F16", 5)));
        tensors.put("c", new TestTensor("F32", new long[] {1, 1, 3}, values("F32", 3)));
        Path file = tmp.resolve("ok.safetensors");
        SafetensorsWriter.write(file, tensors);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile st = SafetensorsFile.open(file, arena);
            assertEquals(3, st.tensors().size());
            for (var e : tensors.entrySet()) {
                Weight w = st.tensors().get(e.getKey());
                assertEquals(DType.fromSafetensors(e.getValue().dtype()).orElseThrow(), w.dtype());
                assertTrue(Arrays.equals(e.getValue().shape(), w.shape()));
                for (int i = 0; i < e.getValue().values().length; i++) assertEquals(e.getValue().values()[i], w.get(i), 0.0);
                assertTrue(w.data().isMapped(), "weights must be views of the mapped file");
            }
        }
    }

    private static double[] values(String dtype, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = SafetensorsWriter.round(dtype, Math.sin(i + 1) * 3);
        return v;
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path f = tmp.resolve("tiny.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertMessage(open(f), "tiny.safetensors", "truncated", "3 bytes");
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        Path f = tmp.resolve("h.safetensors");
        byte[] b = new byte[16];
        b[0] = (byte) 0xFF;
        b[1] = (byte) 0x7F; // 32767-byte header in a 16-byte file
        Files.write(f, b);
        assertMessage(open(f), "h.safetensors", "header length 32767", "16 bytes");
    }

    @Test
    void malformedHeaderJson() throws IOException {
        Path f = tmp.resolve("m.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"a\": {\"dtype\": \"F32\", ", 0);
        assertMessage(open(f), "m.safetensors", "malformed JSON");
    }

    @Test
    void truncatedData() throws IOException {
        Path f = tmp.resolve("t.safetensors");
        byte[] full = SafetensorsWriter.bytes(SafetensorsWriter.single("weight",
                new TestTensor("F32", new long[] {4, 4}, new double[16])));
        Files.write(f, Arrays.copyOf(full, full.length - 10));
        assertMessage(open(f), "t.safetensors", "tensor 'weight'", "truncated");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path f = tmp.resolve("o.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[100,108]}}", 8);
        assertMessage(open(f), "o.safetensors", "tensor 'w'", "ends at byte");
    }

    @Test
    void offsetsInconsistentWithShape() throws IOException {
        Path f = tmp.resolve("s.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertMessage(open(f), "tensor 'w'", "span 8 bytes", "needs 12");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = tmp.resolve("ov.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16);
        assertMessage(open(f), "ov.safetensors", "overlap", "'a'");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = tmp.resolve("d.safetensors");
        SafetensorsWriter.writeRaw(f, "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertMessage(open(f), "d.safetensors", "tensor 'ids'", "unsupported dtype 'I64'");
    }

    @Test
    void missingFile() {
        assertMessage(open(tmp.resolve("absent.safetensors")), "absent.safetensors", "not found");
    }
}
