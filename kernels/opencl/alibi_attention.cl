// Causal attention with ALiBi over the KV cache: for head h and query row r at p = rowpos[r],
// score[j] = scale * q.k[j] + slope[h] * j for j <= p, softmax in fp32, out = sum softmax[j] v[j].
// Keys and values are read from the blocks of the row's own sequence (kv_store.cl's layout).
// Both kernels use the online softmax (running max m, running sum l, rescaled accumulator), so no
// score array is kept. HD (head dim) is a build-time constant.

// One online-softmax pass of head h, query row r (position p = rowpos[r]) over the keys
// j = first, first + stride, ... <= p: returns the running max m, the sum l of exp(score - m) and
// acc = sum exp(score - m) v[j] (rescaled whenever the max rises).
void attend_keys(__global const float* q, __global const float* kc, __global const float* vc, __global const float* slopes,
                 int heads, int bs, __global const int* rowpos, __global const int* rowtab, __global const int* table, float scale,
                 int h, int r, int first, int stride, float* m_out, float* l_out, float* acc) {
    int p = rowpos[r];
    __global const int* blocks = table + rowtab[r];
    __global const float* qr = q + r * heads * HD + h * HD;
    float slope = slopes[h];
    float qv[HD];
    for (int d = 0; d < HD; d++) {
        qv[d] = qr[d];
        acc[d] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int j = first; j <= p; j += stride) {
        size_t block = blocks[j / bs];
        int off = j % bs;
        __global const float* kt = kc + (block * heads + h) * HD * bs + off;
        float dot = 0.0f;
        for (int d = 0; d < HD; d++) dot += qv[d] * kt[(size_t) d * bs];
        float s = scale * dot + slope * j;
        float mn = fmax(m, s), corr = exp(m - mn), e = exp(s - mn);
        l = l * corr + e;
        __global const float* vj = vc + ((block * heads + h) * bs + off) * HD;
        for (int d = 0; d < HD; d++) acc[d] = acc[d] * corr + e * vj[d];
        m = mn;
    }
    *m_out = m;
    *l_out = l;
}

// CPU devices: one work-item per (head, row) walks all keys.
__kernel void alibi_attention(__global const float* q, __global const float* kc, __global const float* vc,
                              __global float* out, __global const float* slopes, int heads, int bs,
                              __global const int* rowpos, __global const int* rowtab, __global const int* table, float scale) {
    int h = get_global_id(0), r = get_global_id(1);
    float m, l, acc[HD];
    attend_keys(q, kc, vc, slopes, heads, bs, rowpos, rowtab, table, scale, h, r, 0, 1, &m, &l, acc);
    __global float* o = out + r * heads * HD + h * HD;
    for (int d = 0; d < HD; d++) o[d] = acc[d] / l;
}

// GPUs: one work-group per (head, row) splits the keys between its WG work-items (flash-decoding
// within a group), then merges their partial (m, l, acc) in local memory.
__kernel void alibi_attention_wg(__global const float* q, __global const float* kc, __global const float* vc,
                                    __global float* out, __global const float* slopes, int heads, int bs,
                                    __global const int* rowpos, __global const int* rowtab, __global const int* table,
                                    float scale, __local float* lm, __local float* ll, __local float* lacc) {
    int h = get_group_id(0), r = get_group_id(1), lid = get_local_id(0), n = get_local_size(0);
    int width = heads * HD;
    float m, l, acc[HD];
    attend_keys(q, kc, vc, slopes, heads, bs, rowpos, rowtab, table, scale, h, r, lid, n, &m, &l, acc);
    lm[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    float gm = -INFINITY;
    for (int t = 0; t < n; t++) gm = fmax(gm, lm[t]);
    // Work-items that saw no key (m = -inf) contribute nothing.
    float f = m == -INFINITY ? 0.0f : exp(m - gm);
    ll[lid] = l * f;
    for (int d = 0; d < HD; d++) lacc[lid * HD + d] = acc[d] * f;
    barrier(CLK_LOCAL_MEM_FENCE);
    float total = 0.0f;
    for (int t = 0; t < n; t++) total += ll[t];
    __global float* o = out + r * width + h * HD;
    for (int d = lid; d < HD; d += n) {
        float s = 0.0f;
        for (int t = 0; t < n; t++) s += lacc[t * HD + d];
        o[d] = s / total;
    }
}
