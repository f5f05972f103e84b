package io.bloomj.compute.cpu;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector species shared by the CPU kernels, and the bf16 widening they all use.
 *
 * <p>The float species is the machine's preferred width (16 lanes with AVX-512); the short species
 * holds the same number of lanes at half the width, so one bf16 load widens to exactly one float
 * vector. System property {@code bloomj.cpu.vectors=false} selects the scalar paths (used by tests
 * to check both).
 */
final class Vectors {
    static final boolean ENABLED = !"false".equals(System.getProperty("bloomj.cpu.vectors"));
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** L bytes: one int8 load widens to exactly one float vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Vectors() {}

    /**
     * {@code L} bf16 values at byte {@code offset}, widened to fp32.
     * <pre>
     * bf16:            s eeeeeeee mmmmmmm
     * fp32: s eeeeeeee mmmmmmm 0000000000000000   (the same bits, shifted left by 16)
     * </pre>
     */
    static FloatVector loadBf16(MemorySegment seg, long offset) {
        return ShortVector.fromMemorySegment(S, seg, offset, LE)
                .convertShape(VectorOperators.S2I, I, 0)
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    /** {@code L} int8 values at byte {@code offset}, widened to fp32 (Q8_0 values before their block scale). */
    static FloatVector loadI8(MemorySegment seg, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /** Shuffles that swap halves, then quarters, ... of a float vector: the steps of {@link #sum}. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] f = new VectorShuffle[steps];
        for (int s = 0, half = L / 2; s < steps; s++, half /= 2) {
            int h = half;
            f[s] = VectorShuffle.fromOp(F, i -> i ^ h);
        }
        return f;
    }

    /**
     * The sum of the lanes in a fixed order (halves, then quarters, ...), the same whether C2, C1 or
     * the interpreter runs it. {@code reduceLanes(ADD)} leaves the order to the implementation, and
     * the interpreter's differs from C2's in the last bit, so a row's result would depend on how warm
     * the JIT was when it ran: batched and unbatched sequences must agree bit for bit.
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> f : FOLDS) v = v.add(v.rearrange(f));
        return v.lane(0);
    }

    static float bf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
