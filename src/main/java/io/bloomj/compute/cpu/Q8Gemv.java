package io.bloomj.compute.cpu;

import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.cpu.Vectors.LE;

/**
 * The decode GEMV over {@link Q8_0} weights: {@code y[o] = sum_b d[o, b] * sum_(i in block b) q[o, i] * x[i]}
 * with x in fp32, so the result is exact fp32 arithmetic on the dequantized weights (no activation
 * quantization).
 *
 * <p>Decode streams every weight once per token, so the kernel must widen int8 to fp32 faster than
 * memory delivers it. Three things make that cheap enough with AVX2-class vectors (the Java Vector
 * API has no int8 dot-product instruction):
 * <ul>
 * <li><b>Widening by masks.</b> An int lane holds four consecutive int8; flipping the sign bit of the
 * low three ({@code xor 0x00808080}) turns them into {@code q + 128} (0..255), so a mask and an
 * int-to-float conversion extract each of the four at once, scaled by 1, 2^8, 2^16 or 2^24; the
 * top byte stays signed. No shifts (AMD Zen 2 runs vector shifts on one pipe; masks run on all four).
 * x is packed to match: the m-th value of every lane lines up with x scaled by 2^(-8m), and the
 * {@code +128} the three low bytes carry is taken back once per row as
 * {@code sum_b d[o, b] * corr[b]} with {@code corr[b] = 128 * (sum of those x in block b)}, which
 * depends on x only and is computed when x is packed.
 * <pre>
 * int lane j of a block:  [ q(4j+3) | q(4j+2) | q(4j+1) | q(4j) ]      (little-endian bytes)
 * lane ^ 0x00808080:      [ q(4j+3) | q(4j+2)+128 | q(4j+1)+128 | q(4j)+128 ]
 * packed x, per block:    [ x(4j) | x(4j+1) * 2^-8 | x(4j+2) * 2^-16 | x(4j+3) * 2^-24 ]  (8 each, j = 0..7)
 * </pre></li>
 * <li><b>Scales widened eight at a time</b> into scratch, from fp16 by a shift and a multiply by
 * 2^112 (exact for normal and subnormal halves; Q8_0 scales are finite), and the correction summed
 * with vectors too: at 32 blocks per row (k = 1024) the per-row scalar work is a large share.</li>
 * <li><b>Two weight rows per pass</b> (from the two halves of the range: two sequential streams), so
 * each x vector loaded serves both. Four rows would share more, but their inlined vector code
 * passes C2's node-count cutoff and falls back to boxed vectors (5x slower); for the same reason
 * the pair's loop is a method of its own ({@link #dot2}) and hands its sums to {@link #finish} as
 * floats. Measured on bloom-560m decode (AMD EPYC Zen 2, AVX2): 1.1-1.35x the one-row shift-widening
 * kernel this replaced.</li>
 * </ul>
 * Vectors are 256 bits wide whatever the machine prefers (one int vector is one block of 32); a
 * row's arithmetic is the same whichever row {@link #dot2} pairs it with (itself, for an odd row left
 * over), so its result never depends on how the rows were split between threads or how many inputs ran.
 */
final class Q8Gemv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final int LANES = 8;
    private static final int BLOCK = Q8_0.BLOCK;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static final IntVector BIAS = IntVector.broadcast(I, 0x00808080);
    private static final IntVector BYTE0 = IntVector.broadcast(I, 0x000000FF), BYTE1 = IntVector.broadcast(I, 0x0000FF00);
    private static final IntVector BYTE2 = IntVector.broadcast(I, 0x00FF0000), BYTE3 = IntVector.broadcast(I, 0xFF000000);
    private static final float[] CLASS_SCALE = {1f, 0x1p-8f, 0x1p-16f, 0x1p-24f};

    // Every vector these kernels call methods on is cast to its species' concrete class, for the
    // reason Vectors gives: the JDK methods' type profiles are shared with the other kernels' shapes.
    @SuppressWarnings("unchecked")
    private static final Class<FloatVector> F_CLASS = (Class<FloatVector>) (Class<?>) F.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<IntVector> I_CLASS = (Class<IntVector>) (Class<?>) I.vectorType();
    @SuppressWarnings("unchecked")
    private static final Class<ShortVector> S_CLASS = (Class<ShortVector>) (Class<?>) S.vectorType();

    private Q8Gemv() {}

    /** Whether the vector kernel runs for rows of {@code k} values (at least one full block, 256-bit vectors). */
    static boolean supported(int k) {
        return Vectors.ENABLED && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256 && k >= BLOCK;
    }

    /** Floats of one packed input: the full blocks' x, then one correction per full block. */
    static int packedFloats(int k) {
        int full = k / BLOCK;
        return full * BLOCK + full;
    }

    /** Scratch floats for {@link #gemv}: a packed x, two rows' scales and a reduction buffer. */
    static int scratchFloats(int k) {
        return packedFloats(k) + 2 * (k / BLOCK) + LANES;
    }

    /** Lays out the full blocks of {@code x[xOff, xOff + k)} at {@code p[pOff..]} as {@link #dot2} reads them, with their corrections. */
    static void pack(float[] x, int xOff, int k, float[] p, int pOff) {
        int full = k / BLOCK, corr = pOff + full * BLOCK;
        for (int b = 0; b < full; b++) {
            int src = xOff + b * BLOCK, dst = pOff + b * BLOCK;
            float c = 0;
            for (int m = 0; m < 4; m++) {
                float s = CLASS_SCALE[m];
                for (int j = 0; j < LANES; j++) {
                    float v = x[src + 4 * j + m];
                    p[dst + m * LANES + j] = v * s;
                    if (m < 3) c += v;
                }
            }
            p[corr + b] = 128f * c;
        }
    }

    /** The GEMV of one input over rows {@code [o0, o1)}: packs x into scratch, then {@link #rows}. */
    static void gemv(Weight w, float[] x, int xOff, float[] y, int yOff, int o0, int o1, float[] scratch) {
        int k = w.cols(), pk = packedFloats(k);
        pack(x, xOff, k, scratch, 0);
        rows(w, scratch, 0, pk, 1, x, xOff, y, yOff, 0, o0, o1, scratch, pk);
    }

    /**
     * Rows {@code [o0, o1)} of {@code d} inputs: input {@code b} packed at {@code p[pOff + b * pk]}
     * and as given at {@code x[xOff + b * k]} (for a row's last, partial block), its result at
     * {@code y[yOff + b * ldy + o]}. Each pair of rows is widened once for all inputs; after the
     * first input it comes from cache.
     */
    static void rows(Weight w, float[] p, int pOff, int pk, int d, float[] x, int xOff, float[] y, int yOff, int ldy,
                     int o0, int o1, float[] scratch, int sOff) {
        int k = w.cols(), full = k / BLOCK;
        int scA = sOff, scB = sOff + full, tmp = sOff + 2 * full;
        int half = (o1 - o0) / 2;
        for (int j = 0; j < half; j++) {
            int ra = o0 + j, rb = ra + half;
            widenScales(w, ra, scratch, scA);
            widenScales(w, rb, scratch, scB);
            for (int b = 0; b < d; b++) {
                int pb = pOff + b * pk, xb = xOff + b * k, yb = yOff + b * ldy;
                dot2(w, ra, rb, scratch, scA, scB, p, pb, full, tmp, x, xb, y, yb);
            }
        }
        if (2 * half < o1 - o0) {   // an odd row left: paired with itself (its arithmetic is the same in either place)
            int r = o1 - 1;
            widenScales(w, r, scratch, scA);
            for (int b = 0; b < d; b++) dot2(w, r, r, scratch, scA, scA, p, pOff + b * pk, full, tmp, x, xOff + b * k, y, yOff + b * ldy);
        }
    }

    private static void dot2(Weight w, int ra, int rb, float[] sc, int scA, int scB, float[] p, int pOff, int full, int tmp,
                             float[] x, int xOff, float[] y, int yOff) {
        MemorySegment v = w.data();
        int k = w.cols();
        long va = (long) ra * k, vb = (long) rb * k;
        FloatVector a = F_CLASS.cast(FloatVector.zero(F)), c = F_CLASS.cast(FloatVector.zero(F));
        for (int b = 0; b < full; b++) {
            int i = b * BLOCK, pi = pOff + i;
            FloatVector x0 = F_CLASS.cast(FloatVector.fromArray(F, p, pi)), x1 = F_CLASS.cast(FloatVector.fromArray(F, p, pi + LANES));
            FloatVector x2 = F_CLASS.cast(FloatVector.fromArray(F, p, pi + 2 * LANES)), x3 = F_CLASS.cast(FloatVector.fromArray(F, p, pi + 3 * LANES));
            // blockSum of the class comment, written out: no vector crosses a call, so nothing is boxed if C2 runs out of inlining budget
            IntVector qa = I_CLASS.cast(IntVector.fromMemorySegment(I, v, va + i, LE)).lanewise(VectorOperators.XOR, BIAS);
            IntVector qc = I_CLASS.cast(IntVector.fromMemorySegment(I, v, vb + i, LE)).lanewise(VectorOperators.XOR, BIAS);
            FloatVector fa0 = F_CLASS.cast(I_CLASS.cast(qa.and(BYTE0)).convert(VectorOperators.I2F, 0));
            FloatVector fa1 = F_CLASS.cast(I_CLASS.cast(qa.and(BYTE1)).convert(VectorOperators.I2F, 0));
            FloatVector fa2 = F_CLASS.cast(I_CLASS.cast(qa.and(BYTE2)).convert(VectorOperators.I2F, 0));
            FloatVector fa3 = F_CLASS.cast(I_CLASS.cast(qa.and(BYTE3)).convert(VectorOperators.I2F, 0));
            FloatVector fc0 = F_CLASS.cast(I_CLASS.cast(qc.and(BYTE0)).convert(VectorOperators.I2F, 0));
            FloatVector fc1 = F_CLASS.cast(I_CLASS.cast(qc.and(BYTE1)).convert(VectorOperators.I2F, 0));
            FloatVector fc2 = F_CLASS.cast(I_CLASS.cast(qc.and(BYTE2)).convert(VectorOperators.I2F, 0));
            FloatVector fc3 = F_CLASS.cast(I_CLASS.cast(qc.and(BYTE3)).convert(VectorOperators.I2F, 0));
            FloatVector sa = F_CLASS.cast(FloatVector.broadcast(F, sc[scA + b])), sb = F_CLASS.cast(FloatVector.broadcast(F, sc[scB + b]));
            a = fa1.fma(x1, fa0.mul(x0)).add(fa3.fma(x3, fa2.mul(x2))).fma(sa, a);
            c = fc1.fma(x1, fc0.mul(x0)).add(fc3.fma(x3, fc2.mul(x2))).fma(sb, c);
        }
        // Lanes go through scratch: finish takes no vectors, so C2 need not inline it (twice) to keep them unboxed.
        a.intoArray(sc, tmp);
        y[yOff + ra] = finish(w, ra, sumAt(sc, tmp), sc, scA, p, pOff, full, tmp, x, xOff);
        c.intoArray(sc, tmp);
        y[yOff + rb] = finish(w, rb, sumAt(sc, tmp), sc, scB, p, pOff, full, tmp, x, xOff);
    }

    /** A row's total from its block sums' total {@code t}: the +128 correction taken back, and a last partial block added. */
    private static float finish(Weight w, int r, float t, float[] sc, int scOff, float[] p, int pOff, int full, int tmp,
                                float[] x, int xOff) {
        int corr = pOff + full * BLOCK, b = 0;
        FloatVector cv = F_CLASS.cast(FloatVector.zero(F));
        for (; b + LANES <= full; b += LANES) {
            cv = F_CLASS.cast(FloatVector.fromArray(F, sc, scOff + b)).fma(F_CLASS.cast(FloatVector.fromArray(F, p, corr + b)), cv);
        }
        cv.intoArray(sc, tmp);
        float c = sumAt(sc, tmp);
        for (; b < full; b++) c += sc[scOff + b] * p[corr + b];
        int k = w.cols();
        return full * BLOCK < k ? (t - c) + tail(w, r, full, x, xOff, k) : t - c;
    }

    /** Eight lanes stored at {@code tmp[off..]} summed in a fixed tree order (as {@link Vectors#sumAt}), the same in every JIT tier. */
    private static float sumAt(float[] tmp, int off) {
        return ((tmp[off] + tmp[off + 4]) + (tmp[off + 2] + tmp[off + 6])) + ((tmp[off + 1] + tmp[off + 5]) + (tmp[off + 3] + tmp[off + 7]));
    }

    /**
     * The fp16 scales of row {@code row}'s full blocks, widened into {@code dst[dOff..]}. A half's
     * 15 magnitude bits shifted left by 13 sit where a float's exponent and mantissa go, with the
     * exponent still biased by 15 instead of 127: multiplying by 2^112 fixes the bias exactly, for
     * subnormal halves too. Infinity and NaN (exponent 31) do not survive, and do not occur in Q8_0.
     */
    static void widenScales(Weight w, int row, float[] dst, int dOff) {
        int k = w.cols(), full = k / BLOCK;
        MemorySegment s = w.scales();
        long base = (long) row * Q8_0.blocks(k) * 2;
        int b = 0;
        for (; b + LANES <= full; b += LANES) {
            ShortVector half = S_CLASS.cast(ShortVector.fromMemorySegment(S, s, base + 2L * b, LE));
            IntVector h = I_CLASS.cast(half.convertShape(VectorOperators.S2I, I, 0));
            FloatVector magnitude = F_CLASS.cast(h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()).mul(0x1p112f);
            F_CLASS.cast(I_CLASS.cast(magnitude.reinterpretAsInts()).or(h.and(0x80000000)).reinterpretAsFloats()).intoArray(dst, dOff + b);
        }
        for (; b < full; b++) dst[dOff + b] = Float.float16ToFloat(s.get(SHORT, base + 2L * b));
    }

    /** Where element i of a row's full blocks sits in {@link #widenRowInLaneOrder}'s layout: 4j + m goes to 8m + j within its block. */
    static int laneOrder(int i) {
        return (i & ~(BLOCK - 1)) + (i & 3) * LANES + ((i & (BLOCK - 1)) >> 2);
    }

    /**
     * Row {@code row} dequantized ({@code q * d}, the same floats as one at a time) into
     * {@code dst[dOff, dOff + k)}: full blocks one int vector at a time in lane order (see
     * {@link #laneOrder}: each lane's m-th byte by two shifts), the last partial block in order.
     * For the prefill GEMM, which transposes x in the same order; 1.4-2x faster than widening
     * eight int8 at a time through a byte vector (3.1-3.3 against 1.6-2.3 G values/s on a Zen 2 core).
     */
    static void widenRowInLaneOrder(Weight w, int row, float[] dst, int dOff) {
        int k = w.cols(), full = k / BLOCK, blocks = Q8_0.blocks(k);
        MemorySegment v = w.data(), s = w.scales();
        long vBase = (long) row * k, sBase = (long) row * blocks * 2;
        for (int b = 0; b < full; b++) {
            FloatVector d = F_CLASS.cast(FloatVector.broadcast(F, Float.float16ToFloat(s.get(SHORT, sBase + 2L * b))));
            IntVector q = I_CLASS.cast(IntVector.fromMemorySegment(I, v, vBase + (long) b * BLOCK, LE));
            int at = dOff + b * BLOCK;
            F_CLASS.cast(I_CLASS.cast(q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24)).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, at);
            F_CLASS.cast(I_CLASS.cast(q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24)).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, at + LANES);
            F_CLASS.cast(I_CLASS.cast(q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24)).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, at + 2 * LANES);
            F_CLASS.cast(I_CLASS.cast(q.lanewise(VectorOperators.ASHR, 24)).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, at + 3 * LANES);
        }
        if (full < blocks) {
            float d = Float.float16ToFloat(s.get(SHORT, sBase + 2L * full));
            for (int i = full * BLOCK; i < k; i++) dst[dOff + i] = v.get(ValueLayout.JAVA_BYTE, vBase + i) * d;
        }
    }

    // ------------------------------------------------------------ scalar

    /** One row without vectors: block sums times the block scale. */
    static float dotScalar(Weight w, int row, float[] x, int xOff) {
        return tail(w, row, 0, x, xOff, w.cols());
    }

    /** Blocks {@code [firstBlock, end)} of a Q8_0 row against x, scalar. */
    private static float tail(Weight w, int row, int firstBlock, float[] x, int xOff, int k) {
        MemorySegment v = w.data(), s = w.scales();
        int blocks = Q8_0.blocks(k);
        long vBase = (long) row * k;
        float sum = 0;
        for (int b = firstBlock; b < blocks; b++) {
            int i0 = b * BLOCK, i1 = Math.min(k, i0 + BLOCK);
            float block = 0;
            for (int i = i0; i < i1; i++) block += v.get(ValueLayout.JAVA_BYTE, vBase + i) * x[xOff + i];
            sum += block * Float.float16ToFloat(s.get(SHORT, ((long) row * blocks + b) * 2));
        }
        return sum;
    }
}
