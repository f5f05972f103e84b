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
    static final boolean ENABLED = !"false".equals(System.getProperty("bloomj.cpu.vectors"))
            && FloatVector.SPECIES_PREFERRED.length() >= 4;   // sum4's tree needs four lanes
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** L bytes (at least 8): one int8 load widens to exactly one float vector. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** The first L lanes of {@link #B} (with 128-bit vectors, L = 4, B is the smallest byte vector: 8 lanes). */
    private static final jdk.incubator.vector.VectorMask<Byte> B_FIRST_L = B.indexInRange(0, L);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Vectors() {}

    // ---------------------------------------------------------------- exact vector types
    //
    // Why every kernel takes its vectors from these: C2 turns a Vector API call into a machine
    // instruction only when it knows the receiver's concrete class (Float512Vector, Int256Vector...).
    // The results of factories and conversions (fromArray, broadcast, reinterpretAsFloats, convert)
    // come out of intrinsics that C2 expands after parsing, typed only as FloatVector; for the next
    // call on such a value C2 falls back on the type profile of the JDK method it calls into
    // (FloatVector.fma, intoArray, ...), which every caller in the JVM shares. Once two shapes have
    // been seen there (a 256-bit kernel beside 512-bit ones, or code of the user's own), C2 inlines
    // both, merges them and keeps every vector boxed: the kernel allocates and runs ~3x slower, or not,
    // depending on which compiled first. A cast through the species' constant Class gives C2 the
    // exact class while it parses, so no kernel depends on a profile.

    @SuppressWarnings("unchecked")
    static final Class<FloatVector> FV = (Class<FloatVector>) (Class<?>) F.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<IntVector> IV = (Class<IntVector>) (Class<?>) I.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<ShortVector> SV = (Class<ShortVector>) (Class<?>) S.vectorType();
    @SuppressWarnings("unchecked")
    static final Class<ByteVector> BV = (Class<ByteVector>) (Class<?>) B.vectorType();

    /**
     * {@code L} bf16 values at byte {@code offset}, widened to fp32 into {@code dst[at..]}.
     * <pre>
     * bf16:            s eeeeeeee mmmmmmm
     * fp32: s eeeeeeee mmmmmmm 0000000000000000   (the same bits, shifted left by 16)
     * </pre>
     */
    static void widenBf16(MemorySegment seg, long offset, float[] dst, int at) {
        IntVector h = IV.cast(SV.cast(ShortVector.fromMemorySegment(S, seg, offset, LE)).convertShape(VectorOperators.S2I, I, 0));
        FV.cast(IV.cast(h.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats()).intoArray(dst, at);
    }

    /** {@code L} int8 values at byte {@code offset} times {@code scale} (a Q8_0 block's), into {@code dst[at..]}. */
    static void widenI8(MemorySegment seg, long offset, float scale, float[] dst, int at) {
        ByteVector v = BV.cast(B.length() == L ? ByteVector.fromMemorySegment(B, seg, offset, LE)
                : ByteVector.fromMemorySegment(B, seg, offset, LE, B_FIRST_L));   // reads only the L bytes asked
        FV.cast(v.convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, at);
    }

    /**
     * The sum of the {@code L} floats at {@code a[off..]} (which it overwrites) in a fixed order (a
     * tree: lane i plus lane i + L/2, then the same on the halves, ...), the same whether C2, C1 or
     * the interpreter runs it. {@code reduceLanes(ADD)} leaves the order to the implementation, and
     * the interpreter's differs from C2's in the last bit, so a row's result would depend on how warm
     * the JIT was when it ran: batched and unbatched sequences must agree bit for bit.
     */
    static float sumAt(float[] a, int off) {
        for (int h = L / 2; h > 0; h /= 2) {
            for (int i = 0; i < h; i++) a[off + i] += a[off + i + h];
        }
        return a[off];
    }

    // i -> i ^ h for h = L/2, L/4, ..., 1: each lane's partner in sum()'s tree; and the lanes (i & h) != 0.
    static final VectorShuffle<Float>[] PARTNER = partners();
    private static final jdk.incubator.vector.VectorMask<Float>[] UPPER = uppers();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] partners() {
        VectorShuffle<Float>[] p = new VectorShuffle[L];
        for (int h = 1; h < L; h *= 2) {
            int hh = h;
            p[h] = VectorShuffle.fromOp(F, i -> i ^ hh);
        }
        return p;
    }

    @SuppressWarnings("unchecked")
    private static jdk.incubator.vector.VectorMask<Float>[] uppers() {
        jdk.incubator.vector.VectorMask<Float>[] m = new jdk.incubator.vector.VectorMask[L];
        for (int h = 1; h < L; h *= 2) {
            boolean[] bits = new boolean[L];
            for (int i = 0; i < L; i++) bits[i] = (i & h) != 0;
            m[h] = jdk.incubator.vector.VectorMask.fromArray(F, bits, 0);
        }
        return m;
    }

    /**
     * The four {@link #sumAt}s of the vectors at {@code t[off]}, {@code t[off + L]}, {@code t[off + 2L]}
     * and {@code t[off + 3L]}, each in exactly {@code sumAt}'s order (its tree, pair by pair: the same
     * bits), written back to {@code t}: the first's at {@code t[off]}, the third's at
     * {@code t[off + L/4]}, the second's at {@code t[off + L/2]}, the fourth's at {@code t[off + 3L/4]}.
     * Each step adds every lane to its partner in the tree and, in the first two, packs two
     * half-used vectors into one (a blend), so the four sums cost about as much as one: the GEMV does
     * one per four outputs, where summing lane by lane through memory cost ~15% of a batched decode
     * step. The vectors travel through the array because a kernel that passes vectors to a call
     * C2 does not inline (large kernels hit its node budget) boxes them. Needs L >= 4.
     */
    static void sum4At(float[] t, int off) {
        FloatVector a = FV.cast(FloatVector.fromArray(F, t, off)), b = FV.cast(FloatVector.fromArray(F, t, off + L));
        FloatVector c = FV.cast(FloatVector.fromArray(F, t, off + 2 * L)), d = FV.cast(FloatVector.fromArray(F, t, off + 3 * L));
        int h = L / 2;
        FloatVector ab = a.add(a.rearrange(PARTNER[h])).blend(b.add(b.rearrange(PARTNER[h])), UPPER[h]);
        FloatVector cd = c.add(c.rearrange(PARTNER[h])).blend(d.add(d.rearrange(PARTNER[h])), UPPER[h]);
        h /= 2;
        FloatVector m = ab.add(ab.rearrange(PARTNER[h])).blend(cd.add(cd.rearrange(PARTNER[h])), UPPER[h]);
        for (h /= 2; h > 0; h /= 2) m = m.add(m.rearrange(PARTNER[h]));
        m.intoArray(t, off);
    }

    // exp by range reduction, x = n ln2 + r with |r| <= ln2 / 2, and Cephes' expf polynomial for e^r.
    // Written with IEEE operations only (fma, mul, add, bit shifts), once for vectors and once for
    // scalars in the same order, so a value's exp is the same bits in every lane, in a loop's tail
    // and in every JIT tier: the vector EXP and TANH operators call a math library in C2 and Math
    // in the interpreter, which differ in the last bit.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;   // 1.5 * 2^23: adding it rounds to an integer
    private static final float EXP_MIN = -87.33f, EXP_MAX = 88.37f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x for the {@code L} floats at {@code a[off..]}, in place (relative error ~1e-7; 0 below -87.33, +inf above 88.37). */
    static void expAt(float[] a, int off) {
        FloatVector x = FV.cast(FloatVector.fromArray(F, a, off));
        FloatVector c = x.max(EXP_MIN).min(EXP_MAX);
        FloatVector t = c.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.neg().fma(FloatVector.broadcast(F, LN2_HI), c);
        r = n.neg().fma(FloatVector.broadcast(F, LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.mul(r).fma(r, r.add(1f));
        FloatVector scale = FV.cast(IV.cast(IV.cast(FV.cast(t).reinterpretAsInts()).sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats());
        y = y.mul(scale);
        y = y.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
        y.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX)).intoArray(a, off);
    }

    /** e^x with exactly {@link #expAt}'s operations. */
    static float exp(float x) {
        if (x < EXP_MIN) return 0f;
        if (x > EXP_MAX) return Float.POSITIVE_INFINITY;
        if (x != x) return x;
        float t = Math.fma(x, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(-n, LN2_HI, x);
        r = Math.fma(-n, LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p * r, r, r + 1f);
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (0x4B400000 - 127)) << 23);
    }

    static float bf16(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
