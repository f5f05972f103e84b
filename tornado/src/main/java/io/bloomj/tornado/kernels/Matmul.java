package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * {@code y[r, o] = act(W[o] . x[r] + bias[o]) (+ res[r, o])} with weights W [N, K] in bf16/f16 or Q8_0 (see
 * {@link Weights16#weight}): a GEMV over
 * the step's decode rows [0, step[1]) and a tiled GEMM over its prompt rows [step[1], step[0]). Each
 * output's sum runs in an order fixed by K alone, so a row gets the same bits in any step.
 *   act: 0 none, 1 BLOOM's tanh GELU; hasRes: 1 adds res (the residual connection fused in), 2 adds
 *   y's own value (the residual is the output buffer: TornadoVM cannot take one array as two arguments).
 */
public final class Matmul {
    private Matmul() {}

    /** GEMV work-group size (one work-group per output). */
    public static final int GEMV_GROUP = 32;
    /** GEMM tile: TILE x TILE outputs per work-group of TILE x TILE. */
    public static final int TILE = 16;

    static float finish(float acc, FloatArray bias, int o, int act) {
        float v = acc + bias.get(o);
        if (act == 1) v = Gelu.bloomGelu(v);
        return v;
    }

    /** One work-group per output o: its work-items stride over k, then a tree sum in local memory. */
    public static void gemv(KernelContext ctx, ShortArray w, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray bias, FloatArray x, FloatArray y, FloatArray res,
                            int K, int N, int act, int hasRes, IntArray step) {
        int o = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        float[] red = ctx.allocateFloatLocalArray(32);
        int rows = step.get(1);
        for (int r = 0; r < rows; r++) {
            red[lid] = Weights16.dotStrided(w, q, qs, decode, q8, o, x, r * K, K, lid, n);
            ctx.localBarrier();
            for (int st = n / 2; st > 0; st >>= 1) {
                if (lid < st) red[lid] += red[lid + st];
                ctx.localBarrier();
            }
            if (lid == 0 && o < N) {
                int at = r * N + o;
                float v = finish(red[0], bias, o, act);
                y.set(at, hasRes == 1 ? v + res.get(at) : hasRes == 2 ? v + y.get(at) : v);
            }
            ctx.localBarrier();
        }
    }

    /**
     * GEMV for CPU devices: one work-item per output, its sum over k in order, no barriers (a CPU
     * OpenCL runtime runs a work-group's barriers as loops over its work-items).
     */
    public static void gemvRows(KernelContext ctx, ShortArray w, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray bias, FloatArray x, FloatArray y, FloatArray res,
                                int K, int N, int act, int hasRes, IntArray step) {
        int o = ctx.globalIdx;
        if (o < N) {
            int rows = step.get(1);
            for (int r = 0; r < rows; r++) {
                int xb = r * K;
                // Four independent partial sums (k mod 4, so one iteration's loads do not wait on the
                // previous sum), added in a fixed order. Written out here and in LmHead.lmHeadRows: as a
                // helper it exceeds TornadoVM's inlining limit (600 nodes).
                int mantissa = (int) decode.get(1024);
                int mask = (1 << mantissa) - 1;
                float ulp = 1f / (1 << mantissa);
                float s0 = 0f;
                float s1 = 0f;
                float s2 = 0f;
                float s3 = 0f;
                int k = 0;
                for (; k + 4 <= K; k += 4) {
                    s0 += Weights16.weight(w, q, qs, decode, q8, o, k, K, mantissa, mask, ulp) * x.get(xb + k);
                    s1 += Weights16.weight(w, q, qs, decode, q8, o, k + 1, K, mantissa, mask, ulp) * x.get(xb + k + 1);
                    s2 += Weights16.weight(w, q, qs, decode, q8, o, k + 2, K, mantissa, mask, ulp) * x.get(xb + k + 2);
                    s3 += Weights16.weight(w, q, qs, decode, q8, o, k + 3, K, mantissa, mask, ulp) * x.get(xb + k + 3);
                }
                for (; k < K; k++) s0 += Weights16.weight(w, q, qs, decode, q8, o, k, K, mantissa, mask, ulp) * x.get(xb + k);
                float s = (s0 + s1) + (s2 + s3);
                int at = r * N + o;
                float v = finish(s, bias, o, act);
                y.set(at, hasRes == 1 ? v + res.get(at) : hasRes == 2 ? v + y.get(at) : v);
            }
        }
    }

    /**
     * TILE x TILE outputs per work-group over the prompt rows: x and W tiles of TILE columns staged
     * in local memory, each work-item summing its output over k in order.
     */
    public static void gemm(KernelContext ctx, ShortArray w, ByteArray q, ShortArray qs, int q8, FloatArray decode, FloatArray bias, FloatArray x, FloatArray y, FloatArray res,
                            int K, int N, int act, int hasRes, IntArray step) {
        int mb = (int) decode.get(1024);
        int mask = (1 << mb) - 1;
        float ulp = 1f / (1 << mb);
        int rows = step.get(0);
        int r0 = step.get(1) + ctx.groupIdy * 16;
        // A step without prompt rows still launches the GEMM (one row of work-groups): leave at once
        // rather than stream the weights for nothing. The test is uniform over the work-group.
        if (step.get(1) < rows) {
            int lo = ctx.localIdx;
            int lr = ctx.localIdy;
            int o0 = ctx.groupIdx * 16;
            float[] xs = ctx.allocateFloatLocalArray(256);
            float[] ws = ctx.allocateFloatLocalArray(256);
            float acc = 0f;
            for (int k0 = 0; k0 < K; k0 += 16) {
                int k = k0 + lo;
                xs[lr * 16 + lo] = (r0 + lr < rows && k < K) ? x.get((r0 + lr) * K + k) : 0f;
                ws[lr * 16 + lo] = (o0 + lr < N && k < K) ? Weights16.weight(w, q, qs, decode, q8, o0 + lr, k, K, mb, mask, ulp) : 0f;
                ctx.localBarrier();
                for (int kk = 0; kk < 16; kk++) acc += xs[lr * 16 + kk] * ws[lo * 16 + kk];
                ctx.localBarrier();
            }
            int o = o0 + lo;
            int r = r0 + lr;
            if (o < N && r < rows) {
                int at = r * N + o;
                float v = finish(acc, bias, o, act);
                y.set(at, hasRes == 1 ? v + res.get(at) : hasRes == 2 ? v + y.get(at) : v);
            }
        }
    }
}
