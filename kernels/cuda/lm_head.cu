// Logits of the step's rows that need them (logits row r is x row xrows[r]: the last rows of a
// one-sequence step, each sequence's last row of a batched one) fused with the first pass of
// argmax: one warp per vocabulary row
// (128-bit loads, shuffle reduction); each block leaves the (value, index) of its best logit per row
// in partial_val / partial_idx [rows, groups] from column g0; argmax_final (argmax.cu) finishes.
#include "common.cuh"

extern "C" __global__ void lm_head_argmax(const wtype* __restrict__ W, const uint16_t* __restrict__ S, const float* __restrict__ x,
                                          const int* __restrict__ xrows, const StepInfo* __restrict__ step,
                                          int K, float* __restrict__ logits, int yoff, int ldy, int N,
                                          float* __restrict__ partial_val, int* __restrict__ partial_idx, int groups, int g0) {
    __shared__ float bv[32];
    __shared__ int bi[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    int o = blockIdx.x * warps + warp;
    int logitRows = step->logit_rows;
    const wtype* w = W + (size_t) min(o, N - 1) * K;
    const uint16_t* ws = S + (size_t) min(o, N - 1) * scale_blocks(K);
    for (int r = 0; r < logitRows; r++) {
        float acc = warp_dot(w, ws, x + (size_t) xrows[r] * K, K, lane);
        if (lane == 0) {
            if (o < N) logits[(size_t) r * ldy + yoff + o] = acc;
            bv[warp] = o < N ? acc : -INFINITY;
            bi[warp] = yoff + o;
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            float best = bv[0];
            int idx = bi[0];
            for (int t = 1; t < warps; t++) if (bv[t] > best) { best = bv[t]; idx = bi[t]; }   // ties: lower index
            partial_val[r * groups + g0 + blockIdx.x] = best;
            partial_idx[r * groups + g0 + blockIdx.x] = idx;
        }
        __syncthreads();
    }
}

// The rows that need logits gathered into a compact buffer before a batched step's LM head (the
// GEMV reads consecutive rows): out row i = x row rows[i] (K floats).
extern "C" __global__ void gather_rows(const float* __restrict__ x, const int* __restrict__ rows, float* __restrict__ out, int K) {
    int c = blockIdx.x * blockDim.x + threadIdx.x, i = blockIdx.y;
    if (c < K) out[(size_t) i * K + c] = x[(size_t) rows[i] * K + c];
}
