// Causal ALiBi attention over the KV pool (kv_store.cu's layout: blocks of bs positions, keys
// transposed per block and head) as flash-decoding: the keys of each (head, row) are cut into chunks
// of blockDim.x by absolute key index; the grid has gridDim.y blocks per (head, row), block `split`
// takes chunks split, split + gridDim.y, ... and per chunk computes scores (one thread per key:
// coalesced reads of the transposed keys), softmax statistics and the weighted sum of values, merged
// across its chunks online; alibi_attention_combine merges the blocks. The chunking depends only on
// the row's own keys, never on the other rows of the step, so a sequence gets the same bits alone or
// batched. The grid does not depend on the position, so a captured decode graph stays valid as it
// grows: blocks without keys write an empty partial (max -inf), which the combine skips.
#include "common.cuh"

extern "C" __global__ void alibi_attention_split(const float* __restrict__ q, const float* __restrict__ kc,
                                                 const float* __restrict__ vc, const float* __restrict__ slopes,
                                                 int heads, int hd, int bs, const int* __restrict__ rowpos,
                                                 const int* __restrict__ rowtab, const int* __restrict__ table, float scale,
                                                 float* __restrict__ partial /* [rows, heads, splits, 2 + hd] */) {
    extern __shared__ float smem[];   // q (hd) + probabilities (blockDim.x) + accumulator (hd)
    __shared__ float red[32];
    int h = blockIdx.x, split = blockIdx.y, r = blockIdx.z, splits = gridDim.y;
    int len = rowpos[r] + 1;
    const int* blocks = table + rowtab[r];
    float* qs = smem;
    float* ps = smem + hd;
    float* acc = smem + hd + blockDim.x;
    float* out = partial + (((size_t) r * heads + h) * splits + split) * (2 + hd);
    int width = heads * hd;
    float slope = slopes[h];
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        qs[d] = q[(size_t) r * width + h * hd + d];
        acc[d] = 0.0f;
    }
    __syncthreads();
    float M = -INFINITY, L = 0.0f;
    for (int first = split * blockDim.x; first < len; first += splits * blockDim.x) {
        int j = first + threadIdx.x;
        float s = -INFINITY;
        if (j < len) {
            const float* kt = kc + ((size_t) blocks[j / bs] * heads + h) * hd * bs + j % bs;
            float dot = 0.0f;
            for (int d = 0; d < hd; d++) dot += qs[d] * kt[(size_t) d * bs];
            s = scale * dot + slope * j;
        }
        // chunk max
        float m = warp_max(s);
        __syncthreads();
        if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = m;
        __syncthreads();
        m = (threadIdx.x & 31) < (blockDim.x >> 5) ? red[threadIdx.x & 31] : -INFINITY;
        m = warp_max(m);
        float p = j < len ? __expf(s - m) : 0.0f;
        ps[threadIdx.x] = p;
        float l = block_sum(p, red);
        __syncthreads();
        int count = min((int) blockDim.x, len - first);
        bool firstChunk = M == -INFINITY;
        float mn = fmaxf(M, m);
        float keep = firstChunk ? 0.0f : __expf(M - mn), add = firstChunk ? 1.0f : __expf(m - mn);
        for (int d = threadIdx.x; d < hd; d += blockDim.x) {
            float a = 0.0f;
            for (int t = 0; t < count; t++) {
                int key = first + t;
                a += ps[t] * vc[(((size_t) blocks[key / bs] * heads + h) * bs + key % bs) * hd + d];
            }
            acc[d] = firstChunk ? a : acc[d] * keep + a * add;
        }
        L = firstChunk ? l : L * keep + l * add;
        M = mn;
        __syncthreads();   // ps is rewritten by the next chunk
    }
    if (threadIdx.x == 0) {
        out[0] = M;
        out[1] = L;
    }
    for (int d = threadIdx.x; d < hd; d += blockDim.x) out[2 + d] = acc[d];
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
