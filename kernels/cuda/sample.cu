// Device-side token sampling, the same arithmetic as kernels/opencl/sample.cl and
// io.bloomj.compute.cpu.SampleKernel: repetition penalty on the fly, temperature, top-k / top-p
// thresholds by bisection over the logits' ordered bit patterns (one block, no sort), min-p, and a
// Gumbel-max draw with a counter-based hash. Only the token id leaves the GPU.
#include "common.cuh"

__device__ __forceinline__ int sortable(float f) {
    int b = __float_as_int(f);
    return b >= 0 ? b : b ^ 0x7FFFFFFF;
}

__device__ __forceinline__ float penalised(float l, float seen, float penalty) {
    return (seen == 0.0f || penalty == 1.0f) ? l : (l < 0.0f ? l * penalty : l / penalty);
}

__device__ __forceinline__ float uniform01(unsigned long long seed, unsigned long long counter, int i) {
    unsigned long long z = seed + 0x9E3779B97F4A7C15ULL * (counter + 1ULL) + 0xBF58476D1CE4E5B9ULL * (unsigned long long) (i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return ((float) (z >> 40) + 0.5f) * 5.9604644775390625e-08f;   // 2^-24
}

__device__ float block_max(float v, float* s32) {
    v = warp_max(v);
    __syncthreads();
    if ((threadIdx.x & 31) == 0) s32[threadIdx.x >> 5] = v;
    __syncthreads();
    v = (threadIdx.x & 31) < (blockDim.x >> 5) ? s32[threadIdx.x & 31] : -INFINITY;
    return warp_max(v);
}

__device__ float mass_from(const float* l, const float* seen, int vocab, float penalty, int key, float mx, float t, float* s32) {
    float m = 0.0f;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        float v = penalised(l[i], seen[i], penalty);
        if (sortable(v) >= key) m += __expf((v - mx) / t);
    }
    return block_sum(m, s32);
}

// Marks each row's token in its sequence's row of seen [slots, vocab] (for the repetition penalty).
extern "C" __global__ void mark_seen(const int* __restrict__ tokens, float* __restrict__ seen, int rows,
                                     const int* __restrict__ rowslot, int vocab) {
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r < rows) seen[(size_t) rowslot[r] * vocab + tokens[r]] = 1.0f;
}

// One block of 256 threads draws one token from logits row `row` with the seen tokens of row
// `seen_row` (its sequence's slot) and writes it to token[row].
extern "C" __global__ void sample(const float* __restrict__ logits, int row, int vocab, const float* __restrict__ seen_all,
                                  int seen_row, float* __restrict__ token, float temperature, int top_k, float top_p, float min_p, float penalty,
                                  unsigned long long seed, unsigned long long counter) {
    __shared__ float s32[32];
    __shared__ float bf[256];
    __shared__ int bi[256];
    const float* l = logits + (size_t) row * vocab;
    const float* seen = seen_all + (size_t) seen_row * vocab;
    float mx = -INFINITY, mn = INFINITY;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        float v = penalised(l[i], seen[i], penalty);
        mx = fmaxf(mx, v);
        mn = fminf(mn, v);
    }
    mx = block_max(mx, s32);
    mn = -block_max(-mn, s32);
    int hi = sortable(mx), thr = sortable(mn);
    bool greedy = temperature == 0.0f;   // transformers ignores the filters when it does not sample
    if (!greedy && top_k > 0 && top_k < vocab) {
        int a = thr, b = hi;
        while (a < b) {
            int mid = (int) (((long long) a + b + 1) >> 1);
            float c = 0.0f;
            for (int i = threadIdx.x; i < vocab; i += blockDim.x) if (sortable(penalised(l[i], seen[i], penalty)) >= mid) c += 1.0f;
            if (block_sum(c, s32) >= (float) top_k) a = mid; else b = mid - 1;
        }
        thr = a;
    }
    if (!greedy && top_p < 1.0f) {
        float total = mass_from(l, seen, vocab, penalty, thr, mx, temperature, s32);
        int a = thr, b = hi;
        while (a < b) {
            int mid = (int) (((long long) a + b + 1) >> 1);
            if (mass_from(l, seen, vocab, penalty, mid, mx, temperature, s32) >= top_p * total) a = mid; else b = mid - 1;
        }
        thr = a;
    }
    if (!greedy && min_p > 0.0f) thr = max(thr, sortable(mx + temperature * logf(min_p)));
    float best = -INFINITY;
    int idx = -1;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        float v = penalised(l[i], seen[i], penalty);
        if (sortable(v) < thr) continue;
        float score = greedy ? v : v / temperature - logf(-logf(uniform01(seed, counter, i)));
        if (idx < 0 || score > best) { best = score; idx = i; }
    }
    bf[threadIdx.x] = best;
    bi[threadIdx.x] = idx;
    __syncthreads();
    for (int k = blockDim.x / 2; k > 0; k >>= 1) {
        if (threadIdx.x < k) {
            int j = bi[threadIdx.x + k];
            if (j >= 0 && (bi[threadIdx.x] < 0 || bf[threadIdx.x + k] > bf[threadIdx.x]
                           || (bf[threadIdx.x + k] == bf[threadIdx.x] && j < bi[threadIdx.x]))) {
                bf[threadIdx.x] = bf[threadIdx.x + k];
                bi[threadIdx.x] = j;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) token[row] = (float) bi[0];
}
