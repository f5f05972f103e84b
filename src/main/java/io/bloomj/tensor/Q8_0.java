package io.bloomj.tensor;

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
     * between {@code threads} threads. Returns {@code w} itself if it is already Q8_0.
     */
    public static Weight quantize(Weight w, Arena arena, int threads) {
        if (w.dtype() == DType.Q8_0) return w;
        if (w.shape().length != 2) throw new IllegalArgumentException("only matrices are quantized, not " + w);
        int rows = w.rows(), cols = w.cols();
        MemorySegment values = arena.allocate((long) rows * cols, 64);
        MemorySegment scales = arena.allocate(scaleBytes(rows, cols), 64);
        int parts = Math.max(1, Math.min(threads, rows / 64));
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

    /** C's roundf: halves away from zero (Math.round takes -2.5 to -2). */
    static byte round(float v) {
        return (byte) (v >= 0 ? (int) (v + 0.5f) : -(int) (-v + 0.5f));
    }

    /** Rows {@code [r0, r1)}: llama.cpp's rule, {@code d = amax / 127}, {@code q = round(x / d)} (half away from zero), d stored as fp16. */
    static void quantizeRows(Weight w, int r0, int r1, MemorySegment values, MemorySegment scales) {
        int cols = w.cols(), blocks = blocks(cols);
        float[] row = new float[cols];
        for (int r = r0; r < r1; r++) {
            w.row(r, row);
            long vBase = (long) r * cols, sBase = (long) r * blocks;
            for (int b = 0; b < blocks; b++) {
                int c0 = b * BLOCK, c1 = Math.min(cols, c0 + BLOCK);
                float amax = 0;
                for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(row[c]));
                float d = amax / 127f;
                float id = d == 0 ? 0 : 1 / d;
                for (int c = c0; c < c1; c++) values.set(ValueLayout.JAVA_BYTE, vBase + c, round(row[c] * id));
                scales.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, sBase + b, Float.floatToFloat16(d));
            }
        }
    }
}
