// Splits fused QKV rows laid out per head as [heads, 3, HD]: q -> q [rows, heads*HD]; k -> k cache
// transposed [heads*HD, capacity]; v -> v cache [heads*capacity, HD], at step->position + r.
// The position is read from device memory (step->position) so the decode graph is captured once and replayed.
#include "common.cuh"

extern "C" __global__ void kv_store(const float* __restrict__ qkv, float* __restrict__ q, float* __restrict__ kc,
                                    float* __restrict__ vc, int heads, int hd, int capacity, const StepInfo* __restrict__ step) {
    int h = blockIdx.x, r = blockIdx.y;
    int width = heads * hd, pos = step->position + r;
    const float* src = qkv + (size_t) r * 3 * width + (size_t) h * 3 * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        q[(size_t) r * width + h * hd + d] = src[d];
        kc[(size_t) (h * hd + d) * capacity + pos] = src[hd + d];
        vc[((size_t) h * capacity + pos) * hd + d] = src[2 * hd + d];
    }
}
