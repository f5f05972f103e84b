package io.bloomj.model;

import io.bloomj.BloomjException;
import io.bloomj.tensor.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Writes a random-weight BLOOM checkpoint in the Hugging Face layout (config.json,
 * generation_config.json, model.safetensors), for benchmarks where the real weights are not at
 * hand. Data is streamed, so a 6 GB checkpoint needs no 6 GB of memory. Everything goes to a
 * temporary sibling folder that is renamed into place only when complete: an interrupted run
 * never leaves a half-written model, and an existing folder is never touched.
 *
 * <p>Values: matrices uniform with standard deviation {@code 1/sqrt(in)} (activations keep their
 * scale through the layers), embeddings with standard deviation 1, LayerNorm weights near 1,
 * biases near 0.
 */
public final class RandomCheckpointWriter {
    private record Spec(String name, long[] shape, double mean, double std) {
        long numel() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private RandomCheckpointWriter() {}

    /** Total bytes the weights of this config take in this dtype. */
    public static long weightBytes(BloomConfig c, DType dtype) {
        return specs(c).stream().mapToLong(Spec::numel).sum() * dtype.bytes();
    }

    /**
     * @param progress receives the number of weight bytes written so far
     * @throws BloomjException if {@code out} exists or cannot be written
     */
    public static void write(BloomConfig config, DType dtype, long seed, Path out, LongConsumer progress) {
        NewFolder.write(out, "random-model", dir -> {
            Files.writeString(dir.resolve(Checkpoint.CONFIG), config.toJson());
            Files.writeString(dir.resolve("generation_config.json"), """
                    {
                      "bos_token_id": %d,
                      "eos_token_id": %d,
                      "pad_token_id": %d
                    }
                    """.formatted(config.bosTokenId(), config.eosTokenId(), config.padTokenId()));
            writeWeights(config, dtype, seed, dir.resolve(Checkpoint.SINGLE_FILE), progress);
        });
    }

    private static List<Spec> specs(BloomConfig c) {
        long h = c.hiddenSize(), f = c.ffnSize(), v = c.vocabSize();
        double inH = 1 / Math.sqrt(h), inF = 1 / Math.sqrt(f);
        List<Spec> s = new ArrayList<>();
        s.add(new Spec("word_embeddings.weight", new long[] {v, h}, 0, 1));
        s.add(new Spec("word_embeddings_layernorm.weight", new long[] {h}, 1, 0.1));
        s.add(new Spec("word_embeddings_layernorm.bias", new long[] {h}, 0, 0.1));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "h." + i + ".";
            s.add(new Spec(p + "input_layernorm.weight", new long[] {h}, 1, 0.1));
            s.add(new Spec(p + "input_layernorm.bias", new long[] {h}, 0, 0.1));
            s.add(new Spec(p + "self_attention.query_key_value.weight", new long[] {3 * h, h}, 0, inH));
            s.add(new Spec(p + "self_attention.query_key_value.bias", new long[] {3 * h}, 0, 0.1));
            s.add(new Spec(p + "self_attention.dense.weight", new long[] {h, h}, 0, inH));
            s.add(new Spec(p + "self_attention.dense.bias", new long[] {h}, 0, 0.1));
            s.add(new Spec(p + "post_attention_layernorm.weight", new long[] {h}, 1, 0.1));
            s.add(new Spec(p + "post_attention_layernorm.bias", new long[] {h}, 0, 0.1));
            s.add(new Spec(p + "mlp.dense_h_to_4h.weight", new long[] {f, h}, 0, inH));
            s.add(new Spec(p + "mlp.dense_h_to_4h.bias", new long[] {f}, 0, 0.1));
            s.add(new Spec(p + "mlp.dense_4h_to_h.weight", new long[] {h, f}, 0, inF));
            s.add(new Spec(p + "mlp.dense_4h_to_h.bias", new long[] {h}, 0, 0.1));
        }
        s.add(new Spec("ln_f.weight", new long[] {h}, 1, 0.1));
        s.add(new Spec("ln_f.bias", new long[] {h}, 0, 0.1));
        if (!c.tieWordEmbeddings()) s.add(new Spec("lm_head.weight", new long[] {v, h}, 0, 1));
        return s;
    }

    private static void writeWeights(BloomConfig c, DType dtype, long seed, Path file, LongConsumer progress) throws IOException {
        List<Spec> specs = specs(c);
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\",\"generator\":\"bloomj random-model\"}");
        long offset = 0;
        for (Spec s : specs) {
            long bytes = s.numel() * dtype.bytes();
            header.append(",\"").append(s.name).append("\":{\"dtype\":\"").append(dtype.safetensorsName())
                    .append("\",\"shape\":").append(java.util.Arrays.toString(s.shape).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');   // data starts 8-byte aligned
        byte[] h = header.toString().getBytes(StandardCharsets.US_ASCII);
        long state = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(h.length).put(h);
            long written = 0;
            for (Spec s : specs) {
                // Uniform on [mean - a, mean + a] has standard deviation a / sqrt(3).
                float a = (float) (s.std * Math.sqrt(3)), mean = (float) s.mean;
                for (long i = 0, n = s.numel(); i < n; i++) {
                    state ^= state << 13;
                    state ^= state >>> 7;
                    state ^= state << 17;
                    float u = (state >>> 40) * 0x1.0p-24f * 2f - 1f;
                    float value = mean + a * u;
                    switch (dtype) {
                        case BF16 -> buf.putShort((short) (Float.floatToRawIntBits(value) >>> 16));
                        case F16 -> buf.putShort(Float.floatToFloat16(value));
                        case F32 -> buf.putFloat(value);
                    }
                    if (buf.remaining() < 4) {
                        written += drain(ch, buf);
                        progress.accept(written);
                    }
                }
            }
            written += drain(ch, buf);
            progress.accept(written);
        }
    }

    private static int drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        int n = buf.remaining();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
        return n;
    }
}
