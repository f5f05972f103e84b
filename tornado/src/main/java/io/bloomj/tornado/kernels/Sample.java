package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.LongArray;

/**
 * Token choice on the device with transformers' semantics, the same arithmetic as kernels/opencl/sample.cl
 * and io.bloomj.compute.cpu.SampleKernel: repetition penalty for the tokens marked in the sequence's row
 * of {@code seen}, temperature, top-k / top-p / min-p as thresholds found by bisection over the
 * penalised logits' ordered bit patterns (nothing is sorted), and a Gumbel-max draw with a
 * counter-based hash of (seed, counter, token).
 */
public final class Sample {
    private Sample() {}

    public static final int GROUP = 256;
    /** Per logits row in {@code fparams}: temperature, top_p, min_p, penalty. */
    public static final int FLOATS = 4;
    /** Per logits row in {@code iparams}: draws (0 or 1), top_k. */
    public static final int INTS = 2;
    /** Per logits row in {@code lparams}: seed, counter. */
    public static final int LONGS = 2;

    /**
     * A float's bits ordered as the floats are. TornadoVM's OpenCL code generator has no reinterpret
     * of a value ({@code Float.floatToRawIntBits} in an expression), but it stores one: the bits are
     * written to an {@code IntArray} and read back, then ordered here.
     */
    static int sortable(int bits) {
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }

    static float penalised(float l, float seen, float penalty) {
        if (seen == 0f || penalty == 1f) return l;
        return l < 0f ? l * penalty : l / penalty;
    }

    /** Uniform in (0, 1) from SplitMix64 of the key; shifts masked ({@code >>>} on longs compiles as {@code >>}). */
    static float uniform01(long seed, long counter, int i) {
        long z = seed + 0x9E3779B97F4A7C15L * (counter + 1L) + 0xBF58476D1CE4E5B9L * (long) (i + 1);
        z = (z ^ ((z >> 30) & 0x3FFFFFFFFL)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ ((z >> 27) & 0x1FFFFFFFFFL)) * 0x94D049BB133111EBL;
        z = z ^ ((z >> 31) & 0x1FFFFFFFFL);
        return ((float) ((z >> 40) & 0xFFFFFFL) + 0.5f) * 5.9604644775390625e-08f;
    }

    /** Marks each row's token in its sequence's row of seen [slots, vocab]; every step. */
    public static void markSeen(KernelContext ctx, IntArray tokens, FloatArray seen, IntArray rowslot, int vocab, IntArray step) {
        int r = ctx.globalIdx;
        if (r < step.get(0)) seen.set(rowslot.get(r) * vocab + tokens.get(r), 1f);
    }

    /** Zeroes the rows of seen the host asked to reset (clear[0] of them, slots from clear[1]); before the step's marks. */
    public static void clearSeen(KernelContext ctx, FloatArray seen, IntArray clear, int vocab) {
        int i = ctx.globalIdx;
        if (i < clear.get(0) * vocab) {
            int k = i / vocab;
            seen.set(clear.get(1 + k) * vocab + (i - k * vocab), 0f);
        }
    }

    /** One work-group per logits row; rows whose draw flag is 0 are left alone (their token is the argmax's). */
    public static void sample(KernelContext ctx, FloatArray logits, FloatArray seen, FloatArray token, FloatArray fparams, IntArray iparams,
                              LongArray lparams, IntArray rowslot, IntArray logitrows, IntArray keys, IntArray minKey, int vocab, IntArray step) {
        int row = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] sf = ctx.allocateFloatLocalArray(256);
        int[] si = ctx.allocateIntLocalArray(256);
        if (row < step.get(2) && iparams.get(row * INTS) != 0) {
            float temperature = fparams.get(row * FLOATS);
            float topP = fparams.get(row * FLOATS + 1);
            float minP = fparams.get(row * FLOATS + 2);
            float penalty = fparams.get(row * FLOATS + 3);
            int topK = iparams.get(row * INTS + 1);
            long seed = lparams.get(row * LONGS);
            long counter = lparams.get(row * LONGS + 1);
            int lb = row * vocab;
            int sb = rowslot.get(logitrows.get(row)) * vocab;
            float mx = Float.NEGATIVE_INFINITY;
            float mn = Float.POSITIVE_INFINITY;
            for (int i = lid; i < vocab; i += n) {
                float v = penalised(logits.get(lb + i), seen.get(sb + i), penalty);
                keys.set(lb + i, Float.floatToRawIntBits(v));
                mx = TornadoMath.max(mx, v);
                mn = TornadoMath.min(mn, v);
            }
            sf[lid] = mx;
            ctx.localBarrier();
            for (int k = n / 2; k > 0; k >>= 1) {
                if (lid < k) sf[lid] = TornadoMath.max(sf[lid], sf[lid + k]);
                ctx.localBarrier();
            }
            mx = sf[0];
            ctx.localBarrier();
            sf[lid] = mn;
            ctx.localBarrier();
            for (int k = n / 2; k > 0; k >>= 1) {
                if (lid < k) sf[lid] = TornadoMath.min(sf[lid], sf[lid + k]);
                ctx.localBarrier();
            }
            mn = sf[0];
            if (lid == 0) {
                minKey.set(row * 3, Float.floatToRawIntBits(mx));
                minKey.set(row * 3 + 1, Float.floatToRawIntBits(mn));
                minKey.set(row * 3 + 2, Float.floatToRawIntBits(mx + temperature * TornadoMath.log(minP)));
            }
            ctx.globalBarrier();
            int hi = sortable(minKey.get(row * 3));
            int thr = sortable(minKey.get(row * 3 + 1));
            boolean greedy = temperature == 0f;   // transformers ignores the filters when it does not sample
            if (!greedy && topK > 0 && topK < vocab) {
                int a = thr;
                int b = hi;
                while (a < b) {
                    int mid = (int) (((long) a + b + 1) >> 1);
                    int c = 0;
                    for (int i = lid; i < vocab; i += n) if (sortable(keys.get(lb + i)) >= mid) c++;
                    si[lid] = c;
                    ctx.localBarrier();
                    for (int k = n / 2; k > 0; k >>= 1) {
                        if (lid < k) si[lid] += si[lid + k];
                        ctx.localBarrier();
                    }
                    if (si[0] >= topK) a = mid; else b = mid - 1;
                    ctx.localBarrier();
                }
                thr = a;
            }
            if (!greedy && topP < 1f) {
                float total = 0f;
                for (int i = lid; i < vocab; i += n) {
                    if (sortable(keys.get(lb + i)) >= thr) total += TornadoMath.exp((penalised(logits.get(lb + i), seen.get(sb + i), penalty) - mx) / temperature);
                }
                sf[lid] = total;
                ctx.localBarrier();
                for (int k = n / 2; k > 0; k >>= 1) {
                    if (lid < k) sf[lid] += sf[lid + k];
                    ctx.localBarrier();
                }
                total = sf[0];
                ctx.localBarrier();
                int a = thr;
                int b = hi;
                while (a < b) {
                    int mid = (int) (((long) a + b + 1) >> 1);
                    float mass = 0f;
                    for (int i = lid; i < vocab; i += n) {
                        if (sortable(keys.get(lb + i)) >= mid) mass += TornadoMath.exp((penalised(logits.get(lb + i), seen.get(sb + i), penalty) - mx) / temperature);
                    }
                    sf[lid] = mass;
                    ctx.localBarrier();
                    for (int k = n / 2; k > 0; k >>= 1) {
                        if (lid < k) sf[lid] += sf[lid + k];
                        ctx.localBarrier();
                    }
                    mass = sf[0];
                    ctx.localBarrier();
                    if (mass >= topP * total) a = mid; else b = mid - 1;
                }
                thr = a;
            }
            if (!greedy && minP > 0f) thr = TornadoMath.max(thr, sortable(minKey.get(row * 3 + 2)));
            float best = Float.NEGATIVE_INFINITY;
            int bi = -1;
            for (int i = lid; i < vocab; i += n) {
                float v = penalised(logits.get(lb + i), seen.get(sb + i), penalty);
                if (sortable(keys.get(lb + i)) >= thr) {
                    float score = greedy ? v : v / temperature - TornadoMath.log(-TornadoMath.log(uniform01(seed, counter, i)));
                    if (bi < 0 || score > best) {
                        best = score;
                        bi = i;
                    }
                }
            }
            sf[lid] = best;
            si[lid] = bi;
            ctx.localBarrier();
            for (int k = n / 2; k > 0; k >>= 1) {
                if (lid < k) {
                    int j = si[lid + k];
                    if (j >= 0 && (si[lid] < 0 || sf[lid + k] > sf[lid] || (sf[lid + k] == sf[lid] && j < si[lid]))) {
                        sf[lid] = sf[lid + k];
                        si[lid] = j;
                    }
                }
                ctx.localBarrier();
            }
            if (lid == 0) token.set(row, si[0]);
        }
    }
}
