package io.bloomj.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes safetensors files for tests, independently of the engine's reader: the header is built
 * by hand, padded with spaces to 8 bytes as the reference implementation does, and values are
 * rounded to their dtype here (round-to-nearest-even for bf16).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** Rounds a value to what the dtype can store and returns that stored value. */
    public static double round(String dtype, double v) {
        return switch (dtype) {
            case "F32" -> (float) v;
            case "F16" -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case "BF16" -> Float.intBitsToFloat(bf16Bits((float) v) << 16);
            default -> throw new IllegalArgumentException(dtype);
        };
    }

    static int bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return ((bits + rounding) >>> 16) & 0xFFFF;
    }

    static int elementBytes(String dtype) {
        return dtype.equals("F32") ? 4 : 2;
    }

    /** The bytes of a complete file holding {@code tensors} in the map's order. */
    public static byte[] bytes(Map<String, TestTensor> tensors) {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (Map.Entry<String, TestTensor> e : tensors.entrySet()) {
            TestTensor t = e.getValue();
            long size = (long) t.values().length * elementBytes(t.dtype());
            header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"").append(t.dtype())
                    .append("\",\"shape\":").append(shapeJson(t.shape()))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + size).append("]}");
            offset += size;
        }
        header.append('}');
        while ((header.length() + 8) % 8 != 0) header.append(' ');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(8 + h.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (TestTensor t : tensors.values()) {
            for (double v : t.values()) {
                switch (t.dtype()) {
                    case "F32" -> buf.putFloat((float) v);
                    case "F16" -> buf.putShort(Float.floatToFloat16((float) v));
                    case "BF16" -> buf.putShort((short) bf16Bits((float) v));
                    default -> throw new IllegalArgumentException(t.dtype());
                }
            }
        }
        return buf.array();
    }

    private static String shapeJson(long[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ",").append(shape[i]);
        return sb.append(']').toString();
    }

    public static void write(Path file, Map<String, TestTensor> tensors) throws IOException {
        Files.write(file, bytes(tensors));
    }

    /** A file whose header is exactly {@code headerJson} followed by {@code dataBytes} zero bytes. */
    public static void writeRaw(Path file, String headerJson, int dataBytes) throws IOException {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        Files.write(file, buf.array());
    }

    public static Map<String, TestTensor> single(String name, TestTensor t) {
        Map<String, TestTensor> m = new LinkedHashMap<>();
        m.put(name, t);
        return m;
    }
}
