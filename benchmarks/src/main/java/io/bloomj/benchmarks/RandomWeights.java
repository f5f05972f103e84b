package io.bloomj.benchmarks;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Random weights of a shape and dtype in native memory (values ~N(0, 1/sqrt(cols)) as bf16/f16/f32). */
final class RandomWeights {
    private RandomWeights() {}

    static Weight matrix(Arena arena, String name, DType dtype, int rows, int cols, long seed) {
        long n = (long) rows * cols;
        MemorySegment seg = arena.allocate(n * dtype.bytes(), 64);
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        float scale = (float) (1 / Math.sqrt(cols));
        for (long i = 0; i < n; i++) {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            float v = ((state >>> 40) * 0x1.0p-24f * 2f - 1f) * scale;
            switch (dtype) {
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            }
        }
        return new Weight(name, dtype, rows == 1 ? new long[] {cols} : new long[] {rows, cols}, seg);
    }

    /** Standard normal activations. */
    static float[] gaussian(int n, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    static Weight vector(Arena arena, String name, int n, float value) {
        MemorySegment seg = arena.allocate((long) n * 4, 64);
        for (int i = 0; i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, value);
        return new Weight(name, DType.F32, new long[] {n}, seg);
    }
}
