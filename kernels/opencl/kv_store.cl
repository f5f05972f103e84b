// Splits fused QKV rows laid out per head as [heads, 3, HD]: q -> q [rows, heads*HD]; k and v into
// the KV pool at each row's position, in the block its sequence's table names (one sequence: one
// block of the whole context). The pool holds blocks of bs positions: k transposed per block and
// head, kc[((block * heads + h) * HD + d) * bs + offset]; v as vc[((block * heads + h) * bs + offset) * HD + d].
//   rowpos[r]: row r's position; rowtab[r]: where its sequence's row of the block table starts in table.
__kernel void kv_store(__global const float* qkv, __global float* q, __global float* kc, __global float* vc,
                       int heads, int bs, __global const int* rowpos, __global const int* rowtab, __global const int* table) {
    int d = get_global_id(0), h = get_global_id(1), r = get_global_id(2);
    int width = heads * HD;
    int src = r * 3 * width + h * 3 * HD;
    int pos = rowpos[r];
    size_t block = table[rowtab[r] + pos / bs];
    int off = pos % bs;
    q[r * width + h * HD + d] = qkv[src + d];
    kc[((block * heads + h) * HD + d) * bs + off] = qkv[src + HD + d];
    vc[((block * heads + h) * bs + off) * HD + d] = qkv[src + 2 * HD + d];
}
