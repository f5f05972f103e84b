package io.bloomj.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A read-only tensor held in host memory, usually a zero-copy view of a memory-mapped checkpoint.
 * Row-major; for a matrix, {@code shape = [rows, cols]} and row {@code r} starts at byte
 * {@code r * cols * dtype.bytes()}. A {@link DType#Q8_0} matrix also has its {@code scales}
 * ({@link Q8_0}: fp16, {@code [rows, blocks(cols)]}); other tensors have none.
 *
 * @param name   the checkpoint's tensor name, for error messages and profiles
 * @param dtype  element type
 * @param shape  dimensions, outermost first
 * @param data   exactly {@code numel * dtype.bytes()} bytes, little-endian
 * @param scales the Q8_0 block scales, or null
 */
public record Weight(String name, DType dtype, long[] shape, MemorySegment data, MemorySegment scales) {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** A tensor stored as it is (bf16, f16, f32). */
    public Weight(String name, DType dtype, long[] shape, MemorySegment data) {
        this(name, dtype, shape, data, null);
    }

    public Weight {
        shape = shape.clone();
        long expected = Math.multiplyExact(numel(shape), dtype.bytes());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("weight " + name + ": " + data.byteSize()
                    + " bytes for shape " + Arrays.toString(shape) + " " + dtype + " (expected " + expected + ")");
        }
        if (dtype == DType.Q8_0) {
            if (shape.length != 2) throw new IllegalArgumentException("weight " + name + ": Q8_0 is for matrices, shape " + Arrays.toString(shape));
            long scaleBytes = Q8_0.scaleBytes(shape[0], shape[1]);
            if (scales == null || scales.byteSize() != scaleBytes) {
                throw new IllegalArgumentException("weight " + name + ": Q8_0 needs " + scaleBytes + " bytes of scales, has "
                        + (scales == null ? "none" : scales.byteSize()));
            }
        } else if (scales != null) {
            throw new IllegalArgumentException("weight " + name + ": only Q8_0 weights have scales");
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    /** Bytes the tensor occupies (and a kernel reads to use all of it): values, plus scales for Q8_0. */
    public long byteSize() {
        return data.byteSize() + (scales == null ? 0 : scales.byteSize());
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
            case Q8_0 -> {
                long cols = shape[1];
                long scale = i / cols * Q8_0.blocks(cols) + i % cols / Q8_0.BLOCK;
                yield data.get(ValueLayout.JAVA_BYTE, i) * Float.float16ToFloat(scales.getAtIndex(SHORT_LE, scale));
            }
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
