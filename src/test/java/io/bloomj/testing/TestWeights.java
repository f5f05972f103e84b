package io.bloomj.testing;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Weights and activations for op tests, with the exact values each weight holds in double: the
 * naive references compute on those. Shared by the op parity tests of every backend, the TornadoVM
 * module's included (it reads this test jar).
 */
public final class TestWeights {
    private TestWeights() {}

    /** Test weights live as long as anything references them (other tests reuse {@link #weight}). */
    private static final Arena ARENA = Arena.ofAuto();

    /** A weight whose values are exactly representable in its dtype, with those values in double. */
    public record TestWeight(Weight weight, double[] values) {}

    public static TestWeight weight(DType dtype, Random rnd, double scale, int... shape) {
        if (dtype == DType.Q8_0) return q8Weight(rnd, scale, shape[0], shape[1]);
        long n = 1;
        long[] s = new long[shape.length];
        for (int i = 0; i < shape.length; i++) n *= s[i] = shape[i];
        MemorySegment seg = ARENA.allocate(n * dtype.bytes(), 8);
        double[] values = new double[(int) n];
        for (int i = 0; i < n; i++) {
            double v = SafetensorsWriter.round(dtype.safetensorsName(), rnd.nextGaussian() * scale);
            values[i] = v;
            switch (dtype) {
                case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) v);
                case F16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) v));
                case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits((float) v) >>> 16));
            }
        }
        return new TestWeight(new Weight("w", dtype, s, seg), values);
    }

    /**
     * A Q8_0 matrix quantized here, independently of the production quantizer, by the format's
     * definition (blocks of 32 along a row, d = max|w| / 127 stored as fp16, q = round(w / d)); its
     * values are the dequantized q * fp16(d), which the kernels must reproduce in exact arithmetic.
     */
    public static TestWeight q8Weight(Random rnd, double scale, int rows, int cols) {
        int blocks = (cols + 31) / 32;
        MemorySegment q = ARENA.allocate((long) rows * cols, 8), d = ARENA.allocate((long) rows * blocks * 2, 8);
        double[] values = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int c0 = b * 32, c1 = Math.min(cols, c0 + 32);
                double[] raw = new double[c1 - c0];
                double amax = 0;
                for (int c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(raw[c - c0] = rnd.nextGaussian() * scale));
                short half = Float.floatToFloat16((float) (amax / 127));
                d.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, (long) r * blocks + b, half);
                for (int c = c0; c < c1; c++) {
                    long v = amax == 0 ? 0 : Math.round(raw[c - c0] / (amax / 127));
                    q.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, (byte) v);
                    values[r * cols + c] = v * (double) Float.float16ToFloat(half);
                }
            }
        }
        return new TestWeight(new Weight("w", DType.Q8_0, new long[] {rows, cols}, q, d), values);
    }

    public static float[] activations(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }
}
