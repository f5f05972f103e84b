// Splits fused QKV rows laid out per head as [heads, 3, HD]: q -> q [rows, heads*HD]; k and v into the
// KV pool at each row's position, in the block its sequence's table names (one sequence: one block of
// the whole context). The pool holds blocks of bs positions, k transposed per block and head:
// kc[((block * heads + h) * hd + d) * bs + offset], vc[((block * heads + h) * bs + offset) * hd + d].
//   rowpos[r]: row r's position; rowtab[r]: where its sequence's row of the block table starts in table.
// Positions and tables are read from device memory, so the decode graph is captured once and replayed.
#include "common.cuh"

extern "C" __global__ void kv_store(const float* __restrict__ qkv, float* __restrict__ q, float* __restrict__ kc,
                                    float* __restrict__ vc, int heads, int hd, int bs, const int* __restrict__ rowpos,
                                    const int* __restrict__ rowtab, const int* __restrict__ table) {
    int h = blockIdx.x, r = blockIdx.y;
    int width = heads * hd, pos = rowpos[r];
    size_t block = table[rowtab[r] + pos / bs];
    int off = pos % bs;
    const float* src = qkv + (size_t) r * 3 * width + (size_t) h * 3 * hd;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        q[(size_t) r * width + h * hd + d] = src[d];
        kc[((block * heads + h) * hd + d) * bs + off] = src[hd + d];
        vc[((block * heads + h) * bs + off) * hd + d] = src[2 * hd + d];
    }
}
