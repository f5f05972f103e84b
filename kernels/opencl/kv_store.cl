// Splits fused QKV rows laid out per head as [heads, 3, HD]: q -> q [rows, heads*HD];
// k -> k cache transposed [heads*HD, capacity]; v -> v cache [heads*capacity, HD], at position + r.
__kernel void kv_store(__global const float* qkv, __global float* q, __global float* kc, __global float* vc,
                       int heads, int capacity, int position) {
    int d = get_global_id(0), h = get_global_id(1), r = get_global_id(2);
    int width = heads * HD;
    int src = r * 3 * width + h * 3 * HD;
    int pos = position + r;
    q[r * width + h * HD + d] = qkv[src + d];
    kc[(size_t) (h * HD + d) * capacity + pos] = qkv[src + HD + d];
    vc[((size_t) h * capacity + pos) * HD + d] = qkv[src + 2 * HD + d];
}
