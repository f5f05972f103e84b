package io.bloomj.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * The 8-bit weight format: each matrix row is cut into blocks of {@link #BLOCK} values along the
 * input dimension (the last block of a row may be shorter), and each block stores
 * {@code q[i] = round(w[i] / d)} as int8 with one scale {@code d = max|w| / 127} per block, so the
 * weight the kernels use is {@code q[i] * d}. Values and scales are kept apart, row-major:
 *
 * <pre>
 * values [rows, cols]          int8   (byte o * cols + i)
 * scales [rows, blocks(cols)]  fp16   (one per 32 values of a row)
 * </pre>
 *
 * so every row is a contiguous int8 stream that vector loads read aligned, and a block's scale sits
 * next to its neighbours'. The scale is fp16 as in llama.cpp's Q8_0: 8.5 bits per weight instead
 * of 9 with an fp32 scale (5.6% fewer bytes per token), and its rounding (2^-11 relative) is far
 * below the int8 step (up to 2^-8 of the block's largest value), so the error is the same; the
 * quantized numbers are those llama.cpp's Q8_0 computes from the same weights.
 */
public final class Q8_0 {
    /** Values per block (and per scale). */
    public static final int BLOCK = 32;

    private Q8_0() {}

    /** Blocks (scales) per row of {@code cols} values. */
    public static int blocks(long cols) {
        return Math.toIntExact((cols + BLOCK - 1) / BLOCK);
    }

    /** Bytes of the scales of a {@code rows x cols} matrix. */
    public static long scaleBytes(long rows, long cols) {
        return rows * blocks(cols) * 2L;
    }

    /**
     * Quantizes a 2-D float weight (bf16, f16 or f32) into memory of {@code arena}, rows split
     * between {@code threads} threads (one, where {@code w} or {@code arena} is confined to the
     * calling thread). Returns {@code w} itself if it is already Q8_0.
     */
    public static Weight quantize(Weight w, Arena arena, int threads) {
        if (w.dtype() == DType.Q8_0) return w;
        if (w.shape().length != 2) throw new IllegalArgumentException("only matrices are quantized, not " + w);
        int rows = w.rows(), cols = w.cols();
        MemorySegment values = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate(scaleBytes(rows, cols), 64);
        // Several threads only where every segment may be touched from other threads (not a confined arena's).
        Thread probe = new Thread(() -> { });
        boolean shareable = w.data().isAccessibleBy(probe) && values.isAccessibleBy(probe) && scales.isAccessibleBy(probe);
        int parts = shareable ? Math.max(1, Math.min(threads, rows / 64)) : 1;
        if (parts == 1) {
            quantizeRows(w, 0, rows, values, scales);
        } else {
            try (ExecutorService pool = Executors.newFixedThreadPool(parts, r -> {
                Thread t = new Thread(r, "bloomj-quantize");
                t.setDaemon(true);
                return t;
            })) {
                List<Future<?>> done = new ArrayList<>();
                for (int p = 0; p < parts; p++) {
                    int r0 = (int) ((long) rows * p / parts), r1 = (int) ((long) rows * (p + 1) / parts);
                    done.add(pool.submit(() -> quantizeRows(w, r0, r1, values, scales)));
                }
                for (Future<?> f : done) f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while quantizing " + w.name(), e);
            }
        }
        return new Weight(w.name(), DType.Q8_0, w.shape(), values, scales);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    /** The vector path needs 8-lane floats (32 = 4 vectors per block); the scalar path computes the same numbers. */
    private static final boolean VECTORS = F.length() * 4 == BLOCK && !"false".equals(System.getProperty("bloomj.cpu.vectors"));

    /**
     * One full block at {@code c0}: the same arithmetic as the scalar loop, 8 lanes at a time
     * (|x| max, then {@code trunc(|x| * id + 0.5)} with x's sign: C's roundf).
     */
    private static short quantizeBlock(float[] row, byte[] q, int c0) {
        FloatVector v0 = FloatVector.fromArray(F, row, c0), v1 = FloatVector.fromArray(F, row, c0 + 8);
        FloatVector v2 = FloatVector.fromArray(F, row, c0 + 16), v3 = FloatVector.fromArray(F, row, c0 + 24);
        float amax = v0.abs().max(v1.abs()).max(v2.abs().max(v3.abs())).reduceLanes(VectorOperators.MAX);
        float scale = amax / 127f;
        float id = scale == 0 ? 0 : 1 / scale;
        store(v0, id, q, c0);
        store(v1, id, q, c0 + 8);
        store(v2, id, q, c0 + 16);
        store(v3, id, q, c0 + 24);
        return Float.floatToFloat16(scale);
    }

    private static void store(FloatVector v, float id, byte[] q, int at) {
        IntVector magnitude = (IntVector) v.abs().mul(id).add(0.5f).convertShape(VectorOperators.F2I, I, 0);
        IntVector signed = magnitude.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(I));
        signed.convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(q, at);
    }

    /** C's roundf: halves away from zero (Math.round takes -2.5 to -2). */
    static byte round(float v) {
        return (byte) (v >= 0 ? (int) (v + 0.5f) : -(int) (-v + 0.5f));
    }

    /**
     * Rows {@code [r0, r1)}: llama.cpp's rule, {@code d = amax / 127}, {@code q = round(x / d)}
     * (halves away from zero), d stored as fp16. Rows are widened and quantized in arrays and
     * copied in bulk, so the loops stay simple enough for the JIT to vectorize.
     */
    static void quantizeRows(Weight w, int r0, int r1, MemorySegment values, MemorySegment scales) {
        int cols = w.cols(), blocks = blocks(cols);
        float[] row = new float[cols];
        short[] raw = new short[cols];
        byte[] q = new byte[cols];
        short[] d = new short[blocks];
        for (int r = r0; r < r1; r++) {
            widen(w, r, raw, row);
            int b = 0;
            if (VECTORS) {
                for (; (b + 1) * BLOCK <= cols; b++) d[b] = quantizeBlock(row, q, b * BLOCK);
            }
            for (; b < blocks; b++) {
                int c0 = b * BLOCK, c1 = Math.min(cols, c0 + BLOCK);
                float amax = 0;
                for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(row[c]));
                float scale = amax / 127f;
                float id = scale == 0 ? 0 : 1 / scale;
                for (int c = c0; c < c1; c++) q[c] = round(row[c] * id);
                d[b] = Float.floatToFloat16(scale);
            }
            MemorySegment.copy(q, 0, values, ValueLayout.JAVA_BYTE, (long) r * cols, cols);
            MemorySegment.copy(d, 0, scales, ValueLayout.JAVA_SHORT_UNALIGNED, (long) r * blocks * 2, blocks);
        }
    }

    /** Row {@code r} of a float matrix into {@code row}, bulk-copied ({@code raw}: scratch for 16-bit dtypes). */
    private static void widen(Weight w, int r, short[] raw, float[] row) {
        int cols = w.cols();
        long off = (long) r * cols * w.dtype().bytes();
        switch (w.dtype()) {
            case BF16 -> {
                MemorySegment.copy(w.data(), ValueLayout.JAVA_SHORT_UNALIGNED, off, raw, 0, cols);
                for (int c = 0; c < cols; c++) row[c] = Float.intBitsToFloat(raw[c] << 16);
            }
            case F16 -> {
                MemorySegment.copy(w.data(), ValueLayout.JAVA_SHORT_UNALIGNED, off, raw, 0, cols);
                for (int c = 0; c < cols; c++) row[c] = Float.float16ToFloat(raw[c]);
            }
            case F32 -> MemorySegment.copy(w.data(), ValueLayout.JAVA_FLOAT_UNALIGNED, off, row, 0, cols);
            case Q8_0 -> throw new IllegalArgumentException(w + " is already quantized");
        }
    }
}
