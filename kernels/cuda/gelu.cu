// BLOOM's tanh GELU, elementwise, in place allowed. n comes from device memory so a captured graph can replay it.
#include "common.cuh"

extern "C" __global__ void gelu(const float* __restrict__ x, float* __restrict__ y, const int* __restrict__ rows, int cols) {
    long n = (long) rows[0] * cols;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) y[i] = bloom_gelu(x[i]);
}
