package io.bloomj.benchmarks;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * How far 8-bit weights move a model's next-token distributions: the same checkpoint loaded as
 * stored and with {@code --weights q8_0}, the same random token sequence through both, and at every
 * position the max and mean absolute logit difference, the KL divergence KL(as stored || q8) of
 * the softmax distributions, and whether the top-1 tokens agree. Prints one Markdown table row.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.bloomj.benchmarks.QuantizationQuality MODEL_DIR [positions] [threads] [TOKENS_OUT]
 * java -cp benchmarks/target/benchmarks.jar io.bloomj.benchmarks.QuantizationQuality --files LABEL BASE.f32 OTHER.f32 positions vocab
 * </pre>
 * The first form can also write the token ids it used (int32, little-endian) so that another
 * engine evaluates the same sequence; the second computes the same figures from two logits dumps
 * of {@code [positions, vocab]} float32 (little-endian), for example llama.cpp's BF16 and Q8_0 GGUFs.
 */
public final class QuantizationQuality {
    private QuantizationQuality() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: QuantizationQuality MODEL_DIR [positions=256] [threads=all]");
            System.exit(2);
        }
        if (args[0].equals("--files")) {
            int positions = Integer.parseInt(args[4]), vocab = Integer.parseInt(args[5]);
            System.out.println(row(args[1], positions, vocab, read(Path.of(args[2]), positions, vocab), read(Path.of(args[3]), positions, vocab)));
            return;
        }
        Path dir = Path.of(args[0]);
        int positions = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : io.bloomj.compute.Backends.defaultThreads();
        LoadOptions options = LoadOptions.defaults().withThreads(threads).withContextLength(positions).withBatchSize(positions);
        float[][] reference, quantized;
        int vocab;
        String type;
        int[] tokens;
        try (BloomModel m = Bloom.load(dir, options)) {
            vocab = m.config().vocabSize();
            type = m.weightDtype();
            Random r = new Random(42);
            tokens = new int[positions];
            for (int i = 0; i < positions; i++) tokens[i] = r.nextInt(vocab);
            reference = m.logitsPerPosition(tokens);
        }
        try (BloomModel m = Bloom.load(dir, options.withWeights(WeightFormat.Q8_0))) {
            quantized = m.logitsPerPosition(tokens);
        }
        if (args.length > 3) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * positions).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int t : tokens) b.putInt(t);
            try {
                java.nio.file.Files.write(Path.of(args[3]), b.array());
                writeLogits(Path.of(args[3] + ".bloomj-" + type.toLowerCase(Locale.ROOT) + ".f32"), reference);
                writeLogits(Path.of(args[3] + ".bloomj-q8_0.f32"), quantized);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        System.out.println(row(dir.getFileName() + " " + type + " vs Q8_0 (bloomj)", positions, vocab, reference, quantized));
    }

    private static void writeLogits(Path file, float[][] logits) throws java.io.IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * logits.length * logits[0].length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] row : logits) for (float v : row) b.putFloat(v);
        java.nio.file.Files.write(file, b.array());
    }

    private static float[][] read(Path file, int positions, int vocab) {
        try {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (b.capacity() != 4L * positions * vocab) throw new IllegalArgumentException(file + ": " + b.capacity() + " bytes, not " + positions + " x " + vocab + " floats");
            float[][] out = new float[positions][vocab];
            for (float[] row : out) for (int v = 0; v < vocab; v++) row[v] = b.getFloat();
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One Markdown row: label, positions, max |diff|, mean |diff|, mean KL(base || other), top-1 agreement. */
    static String row(String label, int positions, int vocab, float[][] reference, float[][] quantized) {
        double maxAbs = 0, sumAbs = 0, sumKl = 0;
        int agree = 0;
        for (int p = 0; p < positions; p++) {
            float[] a = reference[p], b = quantized[p];
            for (int v = 0; v < vocab; v++) {
                double d = Math.abs(a[v] - b[v]);
                maxAbs = Math.max(maxAbs, d);
                sumAbs += d;
            }
            sumKl += kl(a, b);
            if (argmax(a) == argmax(b)) agree++;
        }
        return String.format(Locale.ROOT, "| %s | %d | %.4f | %.5f | %.3e | %.1f%% |", label, positions, maxAbs,
                sumAbs / ((double) positions * vocab), sumKl / positions, 100.0 * agree / positions);
    }

    /** KL(softmax(a) || softmax(b)) in double. */
    static double kl(float[] a, float[] b) {
        double ma = Double.NEGATIVE_INFINITY, mb = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            ma = Math.max(ma, a[i]);
            mb = Math.max(mb, b[i]);
        }
        double za = 0, zb = 0;
        for (int i = 0; i < a.length; i++) {
            za += Math.exp(a[i] - ma);
            zb += Math.exp(b[i] - mb);
        }
        double lza = Math.log(za), lzb = Math.log(zb), kl = 0;
        for (int i = 0; i < a.length; i++) {
            double la = a[i] - ma - lza, lb = b[i] - mb - lzb;
            kl += Math.exp(la) * (la - lb);
        }
        return kl;
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
