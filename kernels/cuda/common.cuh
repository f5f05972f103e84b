// Shared by every bloomj CUDA kernel. Weights keep their checkpoint dtype, chosen per build with
// -DW_BF16 / -DW_F16 / -DW_F32 / -DW_Q8_0 (one PTX module per dtype); activations, biases and norms
// are fp32. Weight reads take the row's scales s (Q8_0: one fp16 per 32 int8 values, weight = q *
// scale; the float dtypes ignore s).
//
// bf16 is the top half of an fp32: widen by a 16-bit shift.
//   bf16:            s eeeeeeee mmmmmmm
//   fp32: s eeeeeeee mmmmmmm 0000000000000000
#pragma once
#include <stdint.h>

// The step's sizes, in one small device buffer the plan rewrites before each step: kernels read
// them from here (and positions and block tables from the row tables) rather than from launch
// arguments, so a decode step captured once as a CUDA graph is replayed unchanged as the position grows.
struct StepInfo {
    int rows;         // rows in the step
    int logit_rows;   // rows that need logits
};

#if defined(W_BF16)
typedef uint16_t wtype;
__device__ __forceinline__ float loadw(const wtype* p, const uint16_t* s, size_t i) { return __uint_as_float(((uint32_t) p[i]) << 16); }
// 8 weights from one 128-bit load (uint4 = 8 bf16); the pointer must be 16-byte aligned.
__device__ __forceinline__ void loadw8(const wtype* p, const uint16_t* s, size_t i8, float* out) {
    uint4 v = reinterpret_cast<const uint4*>(p)[i8];
    uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int j = 0; j < 4; j++) {
        out[2 * j] = __uint_as_float(w[j] << 16);
        out[2 * j + 1] = __uint_as_float(w[j] & 0xFFFF0000u);
    }
}
#elif defined(W_F16)
#include <cuda_fp16.h>
typedef __half wtype;
__device__ __forceinline__ float loadw(const wtype* p, const uint16_t* s, size_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void loadw8(const wtype* p, const uint16_t* s, size_t i8, float* out) {
    uint4 v = reinterpret_cast<const uint4*>(p)[i8];
    const __half2* h = reinterpret_cast<const __half2*>(&v);
#pragma unroll
    for (int j = 0; j < 4; j++) {
        float2 f = __half22float2(h[j]);
        out[2 * j] = f.x;
        out[2 * j + 1] = f.y;
    }
}
#elif defined(W_Q8_0)
#include <cuda_fp16.h>
// Q8_0: values int8 [rows, cols], scales fp16 [rows, (cols + 31) / 32]; p and s point at one row.
typedef int8_t wtype;
__device__ __forceinline__ float q8_scale(const uint16_t* s, size_t block) { return __half2float(__ushort_as_half(s[block])); }
__device__ __forceinline__ float loadw(const wtype* p, const uint16_t* s, size_t i) { return (float) p[i] * q8_scale(s, i >> 5); }
// 8 values from one 64-bit load (the row must be 8-byte aligned: K % 8 == 0); they never straddle a block of 32.
__device__ __forceinline__ void loadw8(const wtype* p, const uint16_t* s, size_t i8, float* out) {
    uint2 v = reinterpret_cast<const uint2*>(p)[i8];
    float d = q8_scale(s, i8 >> 2);
    const int8_t* q = reinterpret_cast<const int8_t*>(&v);
#pragma unroll
    for (int j = 0; j < 8; j++) out[j] = (float) q[j] * d;
}
#else
typedef float wtype;
__device__ __forceinline__ float loadw(const wtype* p, const uint16_t* s, size_t i) { return p[i]; }
__device__ __forceinline__ void loadw8(const wtype* p, const uint16_t* s, size_t i8, float* out) {
    float4 a = reinterpret_cast<const float4*>(p)[2 * i8], b = reinterpret_cast<const float4*>(p)[2 * i8 + 1];
    out[0] = a.x; out[1] = a.y; out[2] = a.z; out[3] = a.w;
    out[4] = b.x; out[5] = b.y; out[6] = b.z; out[7] = b.w;
}
#endif

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ __forceinline__ float block_sum(float v, float* shared32) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    v = lane < warps ? shared32[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ float bloom_gelu(float v) {
    return v * 0.5f * (1.0f + tanhf(0.79788456f * v * (1.0f + 0.044715f * v * v)));
}

// Scales per row of K values (Q8_0 blocks of 32).
__device__ __forceinline__ int scale_blocks(int K) { return (K + 31) / 32; }

// One weight row (values w, scales s) against one input row, split over a warp's lanes (wide weight
// loads when K % 8 == 0); returns the full dot product in every lane.
__device__ __forceinline__ float warp_dot(const wtype* w, const uint16_t* s, const float* xr, int K, int lane) {
    float acc = 0.0f;
    if ((K % 8) == 0) {
        for (int i8 = lane; i8 < K / 8; i8 += 32) {
            float wv[8];
            loadw8(w, s, i8, wv);
            float4 a = reinterpret_cast<const float4*>(xr)[2 * i8], b = reinterpret_cast<const float4*>(xr)[2 * i8 + 1];
            acc += wv[0] * a.x + wv[1] * a.y + wv[2] * a.z + wv[3] * a.w + wv[4] * b.x + wv[5] * b.y + wv[6] * b.z + wv[7] * b.w;
        }
    } else {
        for (int k = lane; k < K; k += 32) acc += loadw(w, s, k) * xr[k];
    }
    return warp_sum(acc);
}
