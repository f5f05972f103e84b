// Argmax of each logits row, ties to the lowest index (torch.argmax), written as a float token id.
#include "common.cuh"

extern "C" __global__ void argmax_partial(const float* __restrict__ logits, int ld, int N, int chunk,
                                          float* __restrict__ partial_val, int* __restrict__ partial_idx, int groups) {
    __shared__ float sv[1024];
    __shared__ int si[1024];
    int g = blockIdx.x, r = blockIdx.y;
    int start = g * chunk, end = min(N, start + chunk);
    const float* row = logits + (size_t) r * ld;
    float best = -INFINITY;
    int bi = start;
    for (int i = start + threadIdx.x; i < end; i += blockDim.x) if (row[i] > best) { best = row[i]; bi = i; }
    sv[threadIdx.x] = best;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float v = sv[threadIdx.x + s];
            int i = si[threadIdx.x + s];
            if (v > sv[threadIdx.x] || (v == sv[threadIdx.x] && i < si[threadIdx.x])) { sv[threadIdx.x] = v; si[threadIdx.x] = i; }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        partial_val[r * groups + g] = sv[0];
        partial_idx[r * groups + g] = si[0];
    }
}

extern "C" __global__ void argmax_final(const float* __restrict__ partial_val, const int* __restrict__ partial_idx, int groups,
                                        const StepInfo* __restrict__ step, float* __restrict__ token) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;   // one thread per logits row
    if (r >= step->logit_rows) return;
    float best = -INFINITY;
    int bi = 0;
    for (int g = 0; g < groups; g++) {
        float v = partial_val[r * groups + g];
        int i = partial_idx[r * groups + g];
        if (v > best || (v == best && i < bi)) { best = v; bi = i; }
    }
    token[r] = (float) bi;
}
