// y[r, o] = act(W[o] . x[r] + bias[o]) + residual[r, o] for the step's rows r and the outputs o of a
// weight block (rows [yoff, yoff + N) of the full matrix). act: 0 none, 1 BLOOM GELU; has_res adds
// the residual (dense / dense_4h_to_h fused with the residual connection). Row r of x starts at
// x[xoff + r * K]; y and residual row r is row yrow + r (stride ldy): a step's decode rows run
// through matmul_gemv and its prompt rows through a GEMM launch after them.
#include "common.cuh"

__device__ __forceinline__ float finish(float acc, const float* bias, int o, int act) {
    float v = acc + bias[o];
    return act == 1 ? bloom_gelu(v) : v;
}

// GEMV (decode): one warp per output row, blockDim.x / 32 rows per block, 128-bit weight loads,
// warp-shuffle reduction. Used for rows = 1 (decode) and the few rows of the LM head.
extern "C" __global__ void matmul_gemv(const wtype* __restrict__ W, const uint16_t* __restrict__ S,
                                       const float* __restrict__ bias, const float* __restrict__ x,
                                       int xoff, float* __restrict__ y, int yoff, int ldy, int K, int N, int rows, int act,
                                       const float* __restrict__ res, int has_res, int yrow) {
    int lane = threadIdx.x & 31;
    int o = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (o >= N) return;
    const wtype* w = W + (size_t) o * K;
    const uint16_t* ws = S + (size_t) o * scale_blocks(K);
    for (int r = 0; r < rows; r++) {
        float acc = warp_dot(w, ws, x + xoff + (size_t) r * K, K, lane);
        if (lane == 0) {
            size_t at = (size_t) (yrow + r) * ldy + yoff + o;
            float v = finish(acc, bias, yoff + o, act);
            y[at] = has_res ? v + res[at] : v;
        }
    }
}

// GEMM (prefill) on CUDA cores: 64x64 output tile per block of 16x16 threads, each thread 4x4,
// k-slices of 16 staged in shared memory. Works for every dtype and architecture.
#define TILE 64
#define KS 16
extern "C" __global__ void matmul_gemm(const wtype* __restrict__ W, const uint16_t* __restrict__ S,
                                       const float* __restrict__ bias, const float* __restrict__ x,
                                       int xoff, float* __restrict__ y, int yoff, int ldy, int K, int N, int rows, int act,
                                       const float* __restrict__ res, int has_res, int yrow) {
    __shared__ float xs[KS][TILE + 1];
    __shared__ float ws[KS][TILE + 1];
    int tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
    int r0 = blockIdx.y * TILE, o0 = blockIdx.x * TILE;
    float acc[4][4] = {};
    for (int k0 = 0; k0 < K; k0 += KS) {
        for (int i = tid; i < KS * TILE; i += 256) {
            int kk = i % KS, m = i / KS;
            int r = r0 + m, o = o0 + m, k = k0 + kk;
            xs[kk][m] = (r < rows && k < K) ? x[xoff + (size_t) r * K + k] : 0.0f;
            ws[kk][m] = (o < N && k < K) ? loadw(W + (size_t) o * K, S + (size_t) o * scale_blocks(K), k) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < KS; kk++) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = xs[kk][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = ws[kk][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int r = r0 + ty * 4 + i;
        if (r >= rows) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int o = o0 + tx * 4 + j;
            if (o >= N) continue;
            size_t at = (size_t) (yrow + r) * ldy + yoff + o;
            float v = finish(acc[i][j], bias, yoff + o, act);
            y[at] = has_res ? v + res[at] : v;
        }
    }
}

#if defined(W_BF16) && (!defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800)
#include <mma.h>
#include <cuda_bf16.h>
using namespace nvcuda;

// GEMM (prefill) on tensor cores, sm_80+: bf16 x bf16 -> fp32 with WMMA 16x16x16 fragments. Each
// block of 4 warps computes a 64x64 tile (each warp 32x32 = 2x2 fragments). Activations are rounded
// to bf16 on the way into shared memory, as a bf16 model's activations are; accumulation is fp32.
#define TC_TILE 64
#define TC_K 32
extern "C" __global__ void matmul_gemm_tc(const wtype* __restrict__ W, const uint16_t* __restrict__ S,
                                       const float* __restrict__ bias, const float* __restrict__ x,
                                          int xoff, float* __restrict__ y, int yoff, int ldy, int K, int N, int rows, int act,
                                          const float* __restrict__ res, int has_res, int yrow) {
    __shared__ __align__(32) __nv_bfloat16 as[TC_TILE][TC_K + 8];
    __shared__ __align__(32) __nv_bfloat16 bs[TC_TILE][TC_K + 8];
    __shared__ __align__(32) float cs[4][32][32 + 4];  // WMMA loads and stores need 256-bit aligned addresses
    int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    int wr = warp >> 1, wc = warp & 1;   // warp's 32x32 quadrant
    int r0 = blockIdx.y * TC_TILE, o0 = blockIdx.x * TC_TILE;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> c[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(c[i][j], 0.0f);
    const __nv_bfloat16* Wb = reinterpret_cast<const __nv_bfloat16*>(W);
    for (int k0 = 0; k0 < K; k0 += TC_K) {
        for (int i = threadIdx.x; i < TC_TILE * TC_K; i += blockDim.x) {
            int m = i / TC_K, kk = i % TC_K, k = k0 + kk;
            int r = r0 + m, o = o0 + m;
            as[m][kk] = __float2bfloat16(r < rows && k < K ? x[xoff + (size_t) r * K + k] : 0.0f);
            bs[m][kk] = o < N && k < K ? Wb[(size_t) o * K + k] : __float2bfloat16(0.0f);
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TC_K; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], &as[wr * 32 + i * 16][kk], TC_K + 8);
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &bs[wc * 32 + j * 16][kk], TC_K + 8);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(c[i][j], a[i], b[j], c[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::store_matrix_sync(&cs[warp][i * 16][j * 16], c[i][j], 32 + 4, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 32 * 32; e += 32) {
        int i = e / 32, j = e % 32;
        int r = r0 + wr * 32 + i, o = o0 + wc * 32 + j;
        if (r >= rows || o >= N) continue;
        size_t at = (size_t) (yrow + r) * ldy + yoff + o;
        float v = finish(cs[warp][i][j], bias, yoff + o, act);
        y[at] = has_res ? v + res[at] : v;
    }
}
#endif
