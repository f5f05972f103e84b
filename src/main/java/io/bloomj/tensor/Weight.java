package io.bloomj.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A read-only tensor held in host memory, usually a zero-copy view of a memory-mapped checkpoint.
 * Row-major; for a matrix, {@code shape = [rows, cols]} and row {@code r} starts at byte
 * {@code r * cols * dtype.bytes()}.
 *
 * @param name  the checkpoint's tensor name, for error messages and profiles
 * @param dtype element type
 * @param shape dimensions, outermost first
 * @param data  exactly {@code numel * dtype.bytes()} bytes, little-endian
 */
public record Weight(String name, DType dtype, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public Weight {
        shape = shape.clone();
        long expected = numel(shape) * dtype.bytes();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight " + name + ": " + data.byteSize()
                    + " bytes for shape " + Arrays.toString(shape) + " " + dtype + " (expected " + expected + ")");
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Number of rows of a matrix (first dimension). */
    public int rows() {
        return Math.toIntExact(shape[0]);
    }

    /** Number of columns of a matrix (last dimension). */
    public int cols() {
        return Math.toIntExact(shape[shape.length - 1]);
    }

    /** Element {@code i} (flat index) widened to fp32: the scalar decoding every kernel agrees with. */
    public float get(long i) {
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat(data.getAtIndex(SHORT_LE, i) << 16);
            case F16 -> Float.float16ToFloat(data.getAtIndex(SHORT_LE, i));
            case F32 -> data.getAtIndex(FLOAT_LE, i);
        };
    }

    /** The whole tensor widened to fp32 (for small tensors: biases, LayerNorm parameters). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(numel())];
        for (int i = 0; i < out.length; i++) out[i] = get(i);
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
