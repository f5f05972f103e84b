package io.bloomj.quant;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quantizer against the format's definition, computed here independently: per block of 32 along
 * a row (a shorter last block), {@code d = max|w| / 127} as fp16, {@code q = round(w / d)} with
 * halves away from zero; every dtype in, one thread and several (the rows are split).
 */
class Q8QuantizerTest {
    @Test
    void valuesAndScalesFollowTheDefinition() {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {   // shared: the rows are split between threads
            for (DType dtype : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                for (int cols : new int[] {32, 45, 96, 1000}) {
                    int rows = 130;
                    Weight w = random(arena, dtype, rows, cols, rnd);
                    for (int threads : new int[] {1, 3}) {
                        Weight q = Q8_0.quantize(w, arena, threads);
                        assertEquals(DType.Q8_0, q.dtype());
                        assertEquals((long) rows * cols + 2L * rows * ((cols + 31) / 32), q.byteSize());
                        check(w, q, dtype + " " + rows + "x" + cols + ", " + threads + " threads");
                    }
                }
            }
        }
    }

    private static void check(Weight w, Weight q, String what) {
        int rows = w.rows(), cols = w.cols(), blocks = (cols + 31) / 32;
        int ties = 0;
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int c0 = b * 32, c1 = Math.min(cols, c0 + 32);
                float amax = 0;
                for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(w.get((long) r * cols + c)));
                float d = amax / 127f;
                short expectedScale = Float.floatToFloat16(d);
                assertEquals(expectedScale, q.scales().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) r * blocks + b), what + " scale");
                for (int c = c0; c < c1; c++) {
                    double exact = d == 0 ? 0 : w.get((long) r * cols + c) / (double) d;
                    long expected = (long) Math.signum(exact) * (long) Math.floor(Math.abs(exact) + 0.5);
                    byte got = q.data().get(ValueLayout.JAVA_BYTE, (long) r * cols + c);
                    if (Math.abs(Math.abs(exact) - Math.floor(Math.abs(exact)) - 0.5) < 1e-5) {
                        ties++;   // within float rounding of a half: either neighbour is right
                        assertTrue(Math.abs(got - expected) <= 1, what + " near-tie at " + r + "," + c);
                    } else {
                        assertEquals(expected, got, what + " value at " + r + "," + c + " (w / d = " + exact + ")");
                    }
                    assertTrue(Math.abs(got) <= 127);
                }
            }
        }
        assertTrue(ties < rows * cols / 100 + 2, what + ": " + ties + " near-ties (the comparison must stay exact almost everywhere)");
    }

    @Test
    void halvesRoundAwayFromZeroAndZeroBlocksStayZero() {
        try (Arena arena = Arena.ofConfined()) {
            // 127 -> d = 1; 2.5 -> 3, -2.5 -> -3 (Math.round would give -2); a block of zeros has d = 0, q = 0
            float[] v = new float[64];
            v[0] = 127;
            v[1] = 2.5f;
            v[2] = -2.5f;
            v[3] = -0.49f;
            MemorySegment seg = arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
            Weight q = Q8_0.quantize(new Weight("w", DType.F32, new long[] {1, 64}, seg), arena, 1);
            assertEquals(127, q.data().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(3, q.data().get(ValueLayout.JAVA_BYTE, 1));
            assertEquals(-3, q.data().get(ValueLayout.JAVA_BYTE, 2));
            assertEquals(0, q.data().get(ValueLayout.JAVA_BYTE, 3));
            assertEquals(1f, Float.float16ToFloat(q.scales().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 0)));
            assertEquals(0, q.scales().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 1));
            for (int i = 32; i < 64; i++) assertEquals(0, q.data().get(ValueLayout.JAVA_BYTE, i));
            assertEquals(-3f, q.get(2));
            assertSame(q, Q8_0.quantize(q, arena, 1), "already Q8_0");
        }
    }

    static Weight random(Arena arena, DType dtype, int rows, int cols, Random rnd) {
        MemorySegment seg = arena.allocate((long) rows * cols * dtype.bytes(), 8);
        for (long i = 0; i < (long) rows * cols; i++) {
            // heavy tails, as trained weights have: a few large values per block set its scale
            float v = (float) (rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 8 : 1));
            switch (dtype) {
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
                case Q8_0 -> throw new IllegalArgumentException();
            }
        }
        return new Weight("w", dtype, new long[] {rows, cols}, seg);
    }
}
