package io.bloomj.model;

import io.bloomj.BloomjException;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Writes a model whose matrices are Q8_0 as a checkpoint folder that loads like any other: the
 * source folder's config, generation config and tokenizer files, and one {@code model.safetensors}
 * in the layout {@link SafetensorsFile} documents ({@code "bloomj.weights": "q8_0"} in the
 * metadata, each matrix as {@code I8} values plus an {@code F16} {@code <name>_scale} tensor, the
 * other tensors in their own dtype), written all at once ({@link NewFolder}): an existing folder,
 * the source included, is never touched.
 */
public final class QuantizedCheckpointWriter {
    /** Files of the source folder copied as they are, when present. */
    static final List<String> COPIED = List.of(Checkpoint.CONFIG, "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json");

    private QuantizedCheckpointWriter() {}

    private record Tensor(String name, String dtype, long[] shape, MemorySegment data) {}

    /** The tensors of {@code w} with their canonical names (scales after their matrix). */
    private static List<Tensor> tensors(BloomWeights w) {
        List<Tensor> out = new ArrayList<>();
        w.named().forEach((name, weight) -> add(out, name, weight));
        return out;
    }

    private static void add(List<Tensor> out, String name, Weight w) {
        out.add(new Tensor(name, w.dtype().safetensorsName(), w.shape(), w.data()));
        if (w.dtype() == DType.Q8_0) {
            out.add(new Tensor(name + SafetensorsFile.SCALE_SUFFIX, DType.F16.safetensorsName(),
                    new long[] {w.shape()[0], w.scales().byteSize() / 2 / w.shape()[0]}, w.scales()));
        }
    }

    /** Bytes of tensor data {@link #write} writes for {@code weights}. */
    public static long dataBytes(BloomWeights weights) {
        return tensors(weights).stream().mapToLong(t -> t.data().byteSize()).sum();
    }

    /**
     * @param source   the folder the weights were loaded from (its config and tokenizer files are copied)
     * @param weights  the model with Q8_0 matrices ({@link BloomWeights#quantized})
     * @param progress receives the number of tensor bytes written so far
     * @throws BloomjException if {@code out} exists or cannot be written
     */
    public static void write(Path source, BloomWeights weights, Path out, LongConsumer progress) {
        if (weights.matrixDtype() != DType.Q8_0) throw new IllegalArgumentException("the matrices are " + weights.matrixDtype() + ", not Q8_0");
        NewFolder.write(out, "quantize", dir -> {
            for (String name : COPIED) {
                Path f = source.resolve(name);
                if (Files.isRegularFile(f)) Files.copy(f, dir.resolve(name));
            }
            writeSafetensors(tensors(weights), dir.resolve(Checkpoint.SINGLE_FILE), progress);
        });
    }

    private static void writeSafetensors(List<Tensor> tensors, Path file, LongConsumer progress) throws IOException {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"" + SafetensorsFile.WEIGHTS_METADATA + "\":\""
                + SafetensorsFile.Q8_0_FORMAT + "\",\"bloomj.q8_0.block\":\"32\",\"bloomj.q8_0.scale\":\"F16\"}");
        long offset = 0;
        for (Tensor t : tensors) {
            long bytes = t.data().byteSize();
            header.append(",\"").append(t.name()).append("\":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":")
                    .append(Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[").append(offset).append(',')
                    .append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');   // data starts 8-byte aligned
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).flip();
            while (len.hasRemaining()) ch.write(len);
            ByteBuffer hb = ByteBuffer.wrap(h);
            while (hb.hasRemaining()) ch.write(hb);
            long written = 0;
            for (Tensor t : tensors) {
                long size = t.data().byteSize();
                for (long off = 0; off < size; off += 64L << 20) {
                    ByteBuffer chunk = t.data().asSlice(off, Math.min(64L << 20, size - off)).asByteBuffer();
                    while (chunk.hasRemaining()) written += ch.write(chunk);
                    progress.accept(written);
                }
            }
        }
    }
}
