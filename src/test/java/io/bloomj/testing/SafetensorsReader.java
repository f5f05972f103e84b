package io.bloomj.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a single-file safetensors checkpoint into {@link TestTensor}s, independently of the
 * production loader (so a file written by bloomj can be checked against {@link ReferenceBloom}).
 * Small files only: everything is read into the heap.
 */
public final class SafetensorsReader {
    private SafetensorsReader() {}

    public static Map<String, TestTensor> read(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) all.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(all.array(), 8, headerLength, java.nio.charset.StandardCharsets.UTF_8));
        int base = 8 + headerLength;
        Map<String, TestTensor> out = new LinkedHashMap<>();
        for (var it = header.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            String dtype = t.get("dtype").asText();
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
            int start = base + t.get("data_offsets").get(0).asInt();
            double[] values = new double[(int) (t.get("data_offsets").get(1).asLong() - t.get("data_offsets").get(0).asLong())
                    / (dtype.equals("F32") ? 4 : 2)];
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (dtype) {
                    case "F32" -> all.getFloat(start + 4 * i);
                    case "F16" -> Float.float16ToFloat(all.getShort(start + 2 * i));
                    case "BF16" -> Float.intBitsToFloat((all.getShort(start + 2 * i) & 0xFFFF) << 16);
                    default -> throw new IllegalArgumentException("dtype " + dtype);
                };
            }
            out.put(e.getKey(), new TestTensor(dtype, shape, values));
        }
        return out;
    }
}
