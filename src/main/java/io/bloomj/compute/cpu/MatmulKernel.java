package io.bloomj.compute.cpu;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.LE;
import static io.bloomj.compute.cpu.Vectors.FV;
import static io.bloomj.compute.cpu.Vectors.IV;
import static io.bloomj.compute.cpu.Vectors.SV;
import static io.bloomj.compute.cpu.Vectors.S;
import static io.bloomj.compute.cpu.Vectors.I;
import static io.bloomj.compute.cpu.Vectors.PARTNER;

/**
 * {@code y[r, o] = bias[o] + sum_i W[o, i] * x[r, i]} with x, y in fp32. bf16 matrices repacked
 * into panels (the CPU backend's default) run in {@link MatmulPanels}, one kernel for every kind of
 * row; what follows is the path for W read straight from the mapped checkpoint (bf16 without the
 * memory for a copy or with {@code bloomj.cpu.repack=false}, f16, f32, Q8_0).
 *
 * <p>One row (decode) is a GEMV: memory-bound, so each weight byte is read exactly once, streamed
 * from four rows at a time to keep several loads in flight. Many rows (prefill) is a GEMM:
 * compute-bound, so weight rows are widened to fp32 once per block of input rows and multiplied
 * as outer products in registers ({@link MatmulGemm}). Both split the output columns
 * {@code [o0, o1)} between threads, so no two threads write the same element.
 */
final class MatmulKernel {
    /** Scratch floats each thread needs for up to {@code rows} decode rows at once (more run in groups). */
    static int scratchFloats(int k, int rows) {
        return Math.max(scratchFloats(k), rows * 4 * L);
    }

    /** Scratch floats each thread needs. */
    static int scratchFloats(int k) {
        // the GEMM's transposed x block, panel and tile sums, a widened f16 row, or the Q8_0 GEMV's packed x and scales
        // (the bf16 GEMV's packed x is followed by 8 vectors of lane sums)
        return Math.max(Math.max(Math.max(MatmulGemm.scratchFloats(k), k + 8 * L), Q8Gemv.scratchFloats(k)), MatmulPanels.scratchFloats(k));
    }

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private MatmulKernel() {}

    /**
     * Computes output columns {@code [o0, o1)} of {@code n} rows: rows {@code [0, decodeRows)} with
     * the GEMV's arithmetic (each reads the weights once for all of them: {@link #gemvRows}), the
     * others with the GEMM's. A row's result depends only on its own input and its kind, never on
     * how many rows run with it, so a sequence computes the same bits alone or in a batch.
     *
     * @param x       input, row {@code r} at {@code x[xOff + r * k]}
     * @param y       output, row {@code r} at {@code y[yOff + r * ldy]}
     * @param panels  the weights repacked by {@link MatmulPanels} (every row then runs there), or null
     * @param packed  the decode rows' inputs as {@link #pack} lays them out ({@code decodeRows * packedFloats}),
     *                or null when {@code decodeRows <= 1} (the GEMV packs one row into its scratch)
     * @param scratch per-thread, {@link #scratchFloats(int)} long
     */
    static void run(Weight w, MemorySegment panels, float[] bias, float[] x, int xOff, int n, int decodeRows, float[] packed, float[] y,
                    int yOff, int ldy, int o0, int o1, float[] scratch) {
        int k = w.cols();
        if (panels != null) {
            // one fma chain per output for every kind of row: nothing to split
            MatmulPanels.run(panels, w.rows(), k, bias, x, xOff, n, y, yOff, ldy, o0, o1, scratch);
            return;
        }
        if (decodeRows == 1) gemv(w, bias, x, xOff, y, yOff, o0, o1, scratch);
        else if (decodeRows > 1) gemvRows(w, bias, x, xOff, decodeRows, packed, y, yOff, ldy, o0, o1, scratch);
        if (n > decodeRows) MatmulGemm.gemm(w, bias, x, xOff + decodeRows * k, n - decodeRows, k, y, yOff + decodeRows * ldy, ldy, o0, o1, scratch);
    }

    /** Whether {@link #gemvRows} reads its inputs from {@link #pack}'s layout for this dtype. */
    static boolean packs(DType dtype, int k) {
        return dtype == DType.BF16 ? Vectors.ENABLED : dtype == DType.Q8_0 && Q8Gemv.supported(k);
    }

    /** Floats {@link #pack} writes per input row (valid where {@link #packs}). */
    static int packedFloats(DType dtype, int k) {
        return dtype == DType.Q8_0 ? Q8Gemv.packedFloats(k) : k;
    }

    /** Lays out row {@code r} of x ({@code k} floats at {@code xOff + r * k}) at {@code packed[r * packedFloats]} as the GEMV reads it for {@code dtype}. */
    static void pack(DType dtype, float[] x, int xOff, int r, int k, float[] packed) {
        if (dtype == DType.BF16) packEvenOdd(x, xOff + r * k, k, packed, r * k);
        else Q8Gemv.pack(x, xOff + r * k, k, packed, r * Q8Gemv.packedFloats(k));
    }

    // ---------------------------------------------------------------- GEMV

    static void gemv(Weight w, float[] bias, float[] x, int xOff, float[] y, int yOff, int o0, int o1, float[] scratch) {
        int k = w.cols();
        MemorySegment seg = w.data();
        int o = o0;
        switch (w.dtype()) {
            case BF16 -> {
                long rowBytes = 2L * k;
                if (Vectors.ENABLED) {
                    // Four rows at a time, taken from the four quarters of the range: four long sequential
                    // streams the hardware prefetcher follows across rows (four adjacent rows would end
                    // every 4 x 2 KiB and restart the streams cold; this measured ~24 -> ~26 GB/s).
                    packEvenOdd(x, xOff, k, scratch, 0);
                    int q = (o1 - o0) / 4;
                    for (int j = 0; j < q; j++) {
                        int r0 = o0 + j, r1 = r0 + q, r2 = r1 + q, r3 = r2 + q;
                        dot4Bf16(seg, r0 * rowBytes, r1 * rowBytes, r2 * rowBytes, r3 * rowBytes, scratch, 0, x, xOff, k, y,
                                yOff + r0, yOff + r1, yOff + r2, yOff + r3, scratch, k);
                    }
                    o = o0 + 4 * q;
                }
                for (; o < o1; o++) y[yOff + o] = dotBf16(seg, o * rowBytes, x, xOff, k);
            }
            case F32 -> {
                for (; o < o1; o++) y[yOff + o] = dotF32(seg, o * 4L * k, x, xOff, k);
            }
            case F16 -> {
                for (; o < o1; o++) {
                    widenF16(seg, o * 2L * k, k, scratch, 0);
                    y[yOff + o] = dot(scratch, 0, x, xOff, k);
                }
            }
            case Q8_0 -> {
                if (Q8Gemv.supported(k)) Q8Gemv.gemv(w, x, xOff, y, yOff, o0, o1, scratch);
                else for (; o < o1; o++) y[yOff + o] = Q8Gemv.dotScalar(w, o, x, xOff);
            }
        }
        if (bias != null) {
            for (o = o0; o < o1; o++) y[yOff + o] += bias[o];
        }
    }

    /**
     * The GEMV of {@code d} rows at once, each with exactly {@link #gemv}'s arithmetic (the same
     * accumulators, in the same order, per output), while a group of weight rows is read from
     * memory once for all of them: after the first input row it comes from L1/L2. bf16 runs a
     * register tile of 4 weight rows x 2 inputs (8 accumulators: what AVX2's 16 registers hold
     * with the operands).
     */
    static void gemvRows(Weight w, float[] bias, float[] x, int xOff, int d, float[] packed, float[] y, int yOff, int ldy,
                         int o0, int o1, float[] scratch) {
        int k = w.cols();
        MemorySegment seg = w.data();
        int o = o0;
        switch (w.dtype()) {
            case BF16 -> {
                long rowBytes = 2L * k;
                if (Vectors.ENABLED) {
                    int q = (o1 - o0) / 4;
                    int blocks = k - k % (2 * L);
                    // Inputs whose accumulators (4 vectors each) fit the scratch; a step with more decode
                    // rows than the plan was sized for runs them in groups.
                    int group = Math.max(1, Math.min(d, scratch.length / (4 * L)));
                    for (int j = 0; j < q; j++) {
                        int r0 = o0 + j, r1 = r0 + q, r2 = r1 + q, r3 = r2 + q;
                        long b0 = r0 * rowBytes, b1 = r1 * rowBytes, b2 = r2 * rowBytes, b3 = r3 * rowBytes;
                        for (int g0 = 0; g0 < d; g0 += group) {
                            int gn = Math.min(group, d - g0);
                            int kc = chunk(gn, blocks);
                            java.util.Arrays.fill(scratch, 0, gn * 4 * L, 0f);
                            for (int c0 = 0; c0 < blocks; c0 += kc) {
                                int c1 = Math.min(blocks, c0 + kc);
                                int b = 0;
                                for (; b + 2 <= gn; b += 2) {
                                    chunk4x2Bf16(seg, b0, b1, b2, b3, packed, (g0 + b) * k, k, c0, c1, scratch, b * 4 * L);
                                }
                                if (b < gn) chunk4Bf16(seg, b0, b1, b2, b3, packed, (g0 + b) * k, c0, c1, scratch, b * 4 * L);
                            }
                            for (int b = 0; b < gn; b++) {
                                int ya = yOff + (g0 + b) * ldy;
                                finish4Bf16(seg, b0, b1, b2, b3, scratch, b * 4 * L, blocks, x, xOff + (g0 + b) * k, k, y,
                                        ya + r0, ya + r1, ya + r2, ya + r3);
                            }
                        }
                    }
                    o = o0 + 4 * q;
                }
                for (; o < o1; o++) {
                    for (int b = 0; b < d; b++) y[yOff + b * ldy + o] = dotBf16(seg, o * rowBytes, x, xOff + b * k, k);
                }
            }
            case F32 -> {
                for (; o < o1; o++) {
                    for (int b = 0; b < d; b++) y[yOff + b * ldy + o] = dotF32(seg, o * 4L * k, x, xOff + b * k, k);
                }
            }
            case F16 -> {
                for (; o < o1; o++) {
                    widenF16(seg, o * 2L * k, k, scratch, 0);
                    for (int b = 0; b < d; b++) y[yOff + b * ldy + o] = dot(scratch, 0, x, xOff + b * k, k);
                }
            }
            case Q8_0 -> {
                if (Q8Gemv.supported(k)) {
                    Q8Gemv.rows(w, packed, 0, Q8Gemv.packedFloats(k), d, x, xOff, y, yOff, ldy, o0, o1, scratch, 0);
                } else {
                    for (; o < o1; o++) {
                        for (int b = 0; b < d; b++) y[yOff + b * ldy + o] = Q8Gemv.dotScalar(w, o, x, xOff + b * k);
                    }
                }
            }
        }
        if (bias != null) {
            for (int b = 0; b < d; b++) {
                for (o = o0; o < o1; o++) y[yOff + b * ldy + o] += bias[o];
            }
        }
    }

    /**
     * Columns {@code [from, to)} of four weight rows against the packed inputs ({@link #pack})
     * for {@code k}-long inputs at {@code pa} and {@code pa + k}: each weight vector is loaded and
     * widened once for both inputs, and each of the 8 outputs continues its accumulator, kept at
     * {@code acc[ao ...]} between chunks (rows' vectors for the first input, then the second's),
     * with {@link #dot4Bf16}'s operations in its order: pausing a chain changes no bits. Chunks keep
     * the weights and the inputs they meet in L1 while every input passes over them.
     */
    private static void chunk4x2Bf16(MemorySegment w, long w0, long w1, long w2, long w3, float[] xp, int pa, int k, int from, int to,
                                     float[] acc, int ao) {
        FloatVector a0 = FV.cast(FloatVector.fromArray(F, acc, ao)), a1 = FV.cast(FloatVector.fromArray(F, acc, ao + L));
        FloatVector a2 = FV.cast(FloatVector.fromArray(F, acc, ao + 2 * L)), a3 = FV.cast(FloatVector.fromArray(F, acc, ao + 3 * L));
        FloatVector c0 = FV.cast(FloatVector.fromArray(F, acc, ao + 4 * L)), c1 = FV.cast(FloatVector.fromArray(F, acc, ao + 5 * L));
        FloatVector c2 = FV.cast(FloatVector.fromArray(F, acc, ao + 6 * L)), c3 = FV.cast(FloatVector.fromArray(F, acc, ao + 7 * L));
        int pb = pa + k;
        for (int i = from; i < to; i += 2 * L) {
            FloatVector xe = FV.cast(FloatVector.fromArray(F, xp, pa + i)), xo = FV.cast(FloatVector.fromArray(F, xp, pa + i + L));
            FloatVector ze = FV.cast(FloatVector.fromArray(F, xp, pb + i)), zo = FV.cast(FloatVector.fromArray(F, xp, pb + i + L));
            long b = 2L * i;
            IntVector p = IV.cast(IntVector.fromMemorySegment(I, w, w0 + b, LE));
            FloatVector lo = FV.cast(IV.cast(p.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats()), hi = FV.cast(IV.cast(p.and(HIGH_HALF)).reinterpretAsFloats());
            a0 = lo.fma(xe, hi.fma(xo, a0));
            c0 = lo.fma(ze, hi.fma(zo, c0));
            p = IV.cast(IntVector.fromMemorySegment(I, w, w1 + b, LE));
            lo = FV.cast(IV.cast(p.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats());
            hi = FV.cast(IV.cast(p.and(HIGH_HALF)).reinterpretAsFloats());
            a1 = lo.fma(xe, hi.fma(xo, a1));
            c1 = lo.fma(ze, hi.fma(zo, c1));
            p = IV.cast(IntVector.fromMemorySegment(I, w, w2 + b, LE));
            lo = FV.cast(IV.cast(p.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats());
            hi = FV.cast(IV.cast(p.and(HIGH_HALF)).reinterpretAsFloats());
            a2 = lo.fma(xe, hi.fma(xo, a2));
            c2 = lo.fma(ze, hi.fma(zo, c2));
            p = IV.cast(IntVector.fromMemorySegment(I, w, w3 + b, LE));
            lo = FV.cast(IV.cast(p.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats());
            hi = FV.cast(IV.cast(p.and(HIGH_HALF)).reinterpretAsFloats());
            a3 = lo.fma(xe, hi.fma(xo, a3));
            c3 = lo.fma(ze, hi.fma(zo, c3));
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + L);
        a2.intoArray(acc, ao + 2 * L);
        a3.intoArray(acc, ao + 3 * L);
        c0.intoArray(acc, ao + 4 * L);
        c1.intoArray(acc, ao + 5 * L);
        c2.intoArray(acc, ao + 6 * L);
        c3.intoArray(acc, ao + 7 * L);
    }

    /** {@link #chunk4x2Bf16} for one input. */
    private static void chunk4Bf16(MemorySegment w, long w0, long w1, long w2, long w3, float[] xp, int pa, int from, int to,
                                   float[] acc, int ao) {
        FloatVector a0 = FV.cast(FloatVector.fromArray(F, acc, ao)), a1 = FV.cast(FloatVector.fromArray(F, acc, ao + L));
        FloatVector a2 = FV.cast(FloatVector.fromArray(F, acc, ao + 2 * L)), a3 = FV.cast(FloatVector.fromArray(F, acc, ao + 3 * L));
        for (int i = from; i < to; i += 2 * L) {
            FloatVector xe = FV.cast(FloatVector.fromArray(F, xp, pa + i)), xo = FV.cast(FloatVector.fromArray(F, xp, pa + i + L));
            long b = 2L * i;
            IntVector p0 = IV.cast(IntVector.fromMemorySegment(I, w, w0 + b, LE));
            a0 = FV.cast(IV.cast(p0.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats())
                    .fma(xe, FV.cast(IV.cast(p0.and(HIGH_HALF)).reinterpretAsFloats()).fma(xo, a0));
            IntVector p1 = IV.cast(IntVector.fromMemorySegment(I, w, w1 + b, LE));
            a1 = FV.cast(IV.cast(p1.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats())
                    .fma(xe, FV.cast(IV.cast(p1.and(HIGH_HALF)).reinterpretAsFloats()).fma(xo, a1));
            IntVector p2 = IV.cast(IntVector.fromMemorySegment(I, w, w2 + b, LE));
            a2 = FV.cast(IV.cast(p2.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats())
                    .fma(xe, FV.cast(IV.cast(p2.and(HIGH_HALF)).reinterpretAsFloats()).fma(xo, a2));
            IntVector p3 = IV.cast(IntVector.fromMemorySegment(I, w, w3 + b, LE));
            a3 = FV.cast(IV.cast(p3.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats())
                    .fma(xe, FV.cast(IV.cast(p3.and(HIGH_HALF)).reinterpretAsFloats()).fma(xo, a3));
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + L);
        a2.intoArray(acc, ao + 2 * L);
        a3.intoArray(acc, ao + 3 * L);
    }

    /** One input's four outputs from its accumulators at {@code acc[ao ...]}: {@link #dot4Bf16}'s lane sums and scalar tail. */
    private static void finish4Bf16(MemorySegment w, long w0, long w1, long w2, long w3, float[] acc, int ao, int blocks, float[] x,
                                    int xOff, int k, float[] y, int y0, int y1, int y2, int y3) {
        Vectors.sum4At(acc, ao);
        float s0 = acc[ao], s1 = acc[ao + L / 2], s2 = acc[ao + L / 4], s3 = acc[ao + 3 * L / 4];
        for (int i = blocks; i < k; i++) {
            float xi = x[xOff + i];
            long b = 2L * i;
            s0 += Vectors.bf16(w.get(SHORT, w0 + b)) * xi;
            s1 += Vectors.bf16(w.get(SHORT, w1 + b)) * xi;
            s2 += Vectors.bf16(w.get(SHORT, w2 + b)) * xi;
            s3 += Vectors.bf16(w.get(SHORT, w3 + b)) * xi;
        }
        y[y0] = s0;
        y[y1] = s1;
        y[y2] = s2;
        y[y3] = s3;
    }

    /**
     * Columns per chunk for {@code inputs} inputs: their packed chunks (4 bytes a column each) about
     * 16 KiB, half of a 32 KiB L1 with the four weight rows' chunks beside them, but at least 16
     * vectors of columns so a chunk's accumulator loads and stores stay a small share.
     */
    private static int chunk(int inputs, int blocks) {
        int kc = Math.max(16 * L, (4096 / inputs) / (2 * L) * (2 * L));
        return Math.max(2 * L, Math.min(kc, blocks));
    }

    /**
     * Reorders x per block of {@code 2L} elements into its {@code L} even then {@code L} odd
     * elements, to match how {@link #dot4Bf16} widens a whole int vector of bf16 pairs at once.
     */
    private static void packEvenOdd(float[] x, int xOff, int k, float[] packed, int pOff) {
        int blocks = k - k % (2 * L);
        for (int b = 0; b < blocks; b += 2 * L) {
            for (int j = 0; j < L; j++) {
                packed[pOff + b + j] = x[xOff + b + 2 * j];
                packed[pOff + b + L + j] = x[xOff + b + 2 * j + 1];
            }
        }
    }

    /**
     * Four bf16 rows (at byte offsets off, o1, o2, o3) against one x: four load streams, x loaded once per block.
     * One int lane holds two bf16 (little-endian: element 2j in the low half, 2j+1 in the high half):
     * <pre>
     * int lane:  [ bf16(2j+1) : 16 bits ][ bf16(2j) : 16 bits ]
     * lane << 16          -> fp32 of element 2j      (pairs with the even half of the packed x)
     * lane & 0xFFFF0000   -> fp32 of element 2j + 1  (pairs with the odd half)
     * </pre>
     * so a full-width load yields 2L weights with two cheap ops and no lane shuffles.
     */
    private static void dot4Bf16(MemorySegment w, long off, long o1, long o2, long o3, float[] xp, int xpOff, float[] x, int xOff,
                                 int k, float[] y, int y0, int y1, int y2, int y3, float[] t, int tOff) {
        int blocks = k - k % (2 * L);
        // the four accumulators start at zero in t and go through chunk4Bf16's loop (the same fma chain)
        java.util.Arrays.fill(t, tOff, tOff + 4 * L, 0f);
        chunk4Bf16(w, off, o1, o2, o3, xp, xpOff, 0, blocks, t, tOff);
        Vectors.sum4At(t, tOff);
        float s0 = t[tOff], s1 = t[tOff + L / 2], s2 = t[tOff + L / 4], s3 = t[tOff + 3 * L / 4];
        for (int i = blocks; i < k; i++) {
            float xi = x[xOff + i];
            long b = 2L * i;
            s0 += Vectors.bf16(w.get(SHORT, off + b)) * xi;
            s1 += Vectors.bf16(w.get(SHORT, o1 + b)) * xi;
            s2 += Vectors.bf16(w.get(SHORT, o2 + b)) * xi;
            s3 += Vectors.bf16(w.get(SHORT, o3 + b)) * xi;
        }
        y[y0] = s0;
        y[y1] = s1;
        y[y2] = s2;
        y[y3] = s3;
    }

    private static final IntVector HIGH_HALF = IntVector.broadcast(Vectors.I, 0xFFFF0000);


    private static float dotBf16(MemorySegment w, long off, float[] x, int xOff, int k) {
        int i = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(k); i < bound; i += L) {
                IntVector h = IV.cast(SV.cast(ShortVector.fromMemorySegment(S, w, off + 2L * i, LE)).convertShape(VectorOperators.S2I, I, 0));
                acc = FV.cast(IV.cast(h.lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats()).fma(FV.cast(FloatVector.fromArray(F, x, xOff + i)), acc);
            }
            // Vectors.sumAt's tree in registers, unrolled (constant shuffles; L is a constant, so C2 folds the tests)
            if (L >= 16) acc = acc.add(acc.rearrange(PARTNER[8]));
            if (L >= 8) acc = acc.add(acc.rearrange(PARTNER[4]));
            acc = acc.add(acc.rearrange(PARTNER[2]));
            acc = acc.add(acc.rearrange(PARTNER[1]));
            sum = acc.lane(0);
        }
        for (; i < k; i++) sum += Vectors.bf16(w.get(SHORT, off + 2L * i)) * x[xOff + i];
        return sum;
    }

    private static float scale(MemorySegment scales, long index) {
        return Float.float16ToFloat(scales.getAtIndex(SHORT, index));
    }

    private static float dotF32(MemorySegment w, long off, float[] x, int xOff, int k) {
        int i = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(k); i < bound; i += L) {
                acc = FV.cast(FloatVector.fromMemorySegment(F, w, off + 4L * i, LE)).fma(FV.cast(FloatVector.fromArray(F, x, xOff + i)), acc);
            }
            // Vectors.sumAt's tree in registers, unrolled (constant shuffles; L is a constant, so C2 folds the tests)
            if (L >= 16) acc = acc.add(acc.rearrange(PARTNER[8]));
            if (L >= 8) acc = acc.add(acc.rearrange(PARTNER[4]));
            acc = acc.add(acc.rearrange(PARTNER[2]));
            acc = acc.add(acc.rearrange(PARTNER[1]));
            sum = acc.lane(0);
        }
        for (; i < k; i++) sum += w.get(FLOAT, off + 4L * i) * x[xOff + i];
        return sum;
    }

    /** Dot product of two fp32 arrays. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        int i = 0;
        float sum = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(k); i < bound; i += L) {
                acc = FV.cast(FloatVector.fromArray(F, a, aOff + i)).fma(FV.cast(FloatVector.fromArray(F, b, bOff + i)), acc);
            }
            // Vectors.sumAt's tree in registers, unrolled (constant shuffles; L is a constant, so C2 folds the tests)
            if (L >= 16) acc = acc.add(acc.rearrange(PARTNER[8]));
            if (L >= 8) acc = acc.add(acc.rearrange(PARTNER[4]));
            acc = acc.add(acc.rearrange(PARTNER[2]));
            acc = acc.add(acc.rearrange(PARTNER[1]));
            sum = acc.lane(0);
        }
        for (; i < k; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    // ---------------------------------------------------------------- widening

    /** {@code count} values of row {@code row} of {@code w} from column {@code col0}, widened to fp32 into {@code dst[dOff..]}. */
    static void widenRow(Weight w, int row, int col0, int count, float[] dst, int dOff) {
        int k = w.cols();
        if (w.dtype() != DType.Q8_0) {
            widen(w.dtype(), w.data(), ((long) row * k + col0) * w.dtype().bytes(), count, dst, dOff);
            return;
        }
        MemorySegment v = w.data(), s = w.scales();
        long vBase = (long) row * k, sBase = (long) row * Q8_0.blocks(k);
        int c = col0, end = col0 + count;
        while (c < end) {
            int blockEnd = Math.min(end, (c / Q8_0.BLOCK + 1) * Q8_0.BLOCK);
            float d = scale(s, sBase + c / Q8_0.BLOCK);
            int i = c;
            if (Vectors.ENABLED) {
                for (; i + L <= blockEnd; i += L) Vectors.widenI8(v, vBase + i, d, dst, dOff + i - col0);
            }
            for (; i < blockEnd; i++) dst[dOff + i - col0] = v.get(ValueLayout.JAVA_BYTE, vBase + i) * d;
            c = blockEnd;
        }
    }

    /** {@code count} elements of a weight row starting at byte {@code off}, widened into {@code dst[dOff..]}. */
    static void widen(DType dtype, MemorySegment seg, long off, int count, float[] dst, int dOff) {
        switch (dtype) {
            case BF16 -> {
                int i = 0;
                if (Vectors.ENABLED) {
                    for (int bound = F.loopBound(count); i < bound; i += L) {
                        Vectors.widenBf16(seg, off + 2L * i, dst, dOff + i);
                    }
                }
                for (; i < count; i++) dst[dOff + i] = Vectors.bf16(seg.get(SHORT, off + 2L * i));
            }
            case F16 -> widenF16(seg, off, count, dst, dOff);
            case F32 -> MemorySegment.copy(seg, FLOAT, off, dst, dOff, count);
            case Q8_0 -> throw new IllegalArgumentException("Q8_0 rows widen with their scales: widenRow");
        }
    }

    private static void widenF16(MemorySegment seg, long off, int count, float[] dst, int dOff) {
        // Float.float16ToFloat is an intrinsic (vcvtph2ps) on x86.
        for (int i = 0; i < count; i++) dst[dOff + i] = Float.float16ToFloat(seg.get(SHORT, off + 2L * i));
    }
}
