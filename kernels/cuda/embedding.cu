// out[r] = table[tokens[r]] widened to fp32; a table split in row blocks is launched per block.
#include "common.cuh"

extern "C" __global__ void embedding(const wtype* __restrict__ table, const uint16_t* __restrict__ S, int row0, int nrows,
                                     const int* __restrict__ tokens,
                                     float* __restrict__ out, int cols) {
    int r = blockIdx.y;
    int t = tokens[r] - row0;
    if (t < 0 || t >= nrows) return;
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += gridDim.x * blockDim.x) {
        out[(size_t) r * cols + c] = loadw(table + (size_t) t * cols, S + (size_t) t * scale_blocks(cols), c);
    }
}
