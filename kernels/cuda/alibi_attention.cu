// Causal ALiBi attention over the KV cache (keys transposed [heads*HD, capacity], values
// [heads*capacity, HD]) as flash-decoding: the keys of each (head, row) are split in chunks of
// blockDim.x, one block per chunk computes scores (one thread per key: coalesced reads of the
// transposed keys), softmax statistics and its partial weighted sum; alibi_attention_combine merges
// the chunks. The grid covers the whole capacity so a captured decode graph stays valid as the
// position grows: chunks beyond the current length write an empty partial.
#include "common.cuh"

extern "C" __global__ void alibi_attention_split(const float* __restrict__ q, const float* __restrict__ kc,
                                                 const float* __restrict__ vc, const float* __restrict__ slopes,
                                                 int heads, int hd, int capacity, const StepInfo* __restrict__ step, float scale,
                                                 float* __restrict__ partial /* [rows, heads, splits, 2 + hd] */) {
    extern __shared__ float smem[];   // q (hd) + probabilities (blockDim.x)
    __shared__ float red[32];
    int h = blockIdx.x, split = blockIdx.y, r = blockIdx.z, splits = gridDim.y;
    int len = step->position + r + 1;
    float* qs = smem;
    float* ps = smem + hd;
    float* out = partial + (((size_t) r * heads + h) * splits + split) * (2 + hd);
    int j = split * blockDim.x + threadIdx.x;
    int width = heads * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) qs[d] = q[(size_t) r * width + h * hd + d];
    __syncthreads();
    float s = -INFINITY;
    if (j < len) {
        const float* kt = kc + (size_t) h * hd * capacity + j;
        float dot = 0.0f;
        for (int d = 0; d < hd; d++) dot += qs[d] * kt[(size_t) d * capacity];
        s = scale * dot + slopes[h] * j;
    }
    // block max
    float m = warp_max(s);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = m;
    __syncthreads();
    m = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : -INFINITY;
    m = warp_max(m);
    float p = (j < len && m != -INFINITY) ? __expf(s - m) : 0.0f;
    ps[threadIdx.x] = p;
    float l = block_sum(p, red);
    __syncthreads();
    if (threadIdx.x == 0) {
        out[0] = m;
        out[1] = l;
    }
    int first = split * blockDim.x;
    int count = max(0, min((int) blockDim.x, len - first));
    const float* vh = vc + ((size_t) h * capacity + first) * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float acc = 0.0f;
        for (int t = 0; t < count; t++) acc += ps[t] * vh[(size_t) t * hd + d];
        out[2 + d] = acc;
    }
}

extern "C" __global__ void alibi_attention_combine(const float* __restrict__ partial, int heads, int hd, int splits,
                                                   float* __restrict__ out) {
    int h = blockIdx.x, r = blockIdx.y;
    const float* base = partial + ((size_t) r * heads + h) * splits * (2 + hd);
    float M = -INFINITY;
    for (int s = 0; s < splits; s++) M = fmaxf(M, base[s * (2 + hd)]);
    float total = 0.0f;
    for (int s = 0; s < splits; s++) {
        float m = base[s * (2 + hd)];
        if (m != -INFINITY) total += base[s * (2 + hd) + 1] * __expf(m - M);
    }
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float acc = 0.0f;
        for (int s = 0; s < splits; s++) {
            float m = base[s * (2 + hd)];
            if (m != -INFINITY) acc += base[s * (2 + hd) + 2 + d] * __expf(m - M);
        }
        out[(size_t) r * heads * hd + h * hd + d] = acc / total;
    }
}
