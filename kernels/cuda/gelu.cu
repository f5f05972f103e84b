// BLOOM's tanh GELU, elementwise, in place allowed. the row count comes from device memory so a captured graph can replay it.
#include "common.cuh"

extern "C" __global__ void gelu(const float* __restrict__ x, float* __restrict__ y, const StepInfo* __restrict__ step, int cols) {
    long n = (long) step->rows * cols;
    for (long i = blockIdx.x * (long) blockDim.x + threadIdx.x; i < n; i += (long) gridDim.x * blockDim.x) y[i] = bloom_gelu(x[i]);
}
