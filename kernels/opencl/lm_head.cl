// Logits of the last `rows` rows, fused with the first pass of argmax: besides writing the
// logits, each work-group leaves the (value, index) of its largest logit per row in
// partial_val / partial_idx [rows, groups] (from column g0 when the table is split into blocks); argmax_final (argmax.cl) reduces the partials, so the
// logits never travel to the host during generation. One work-item per vocabulary entry (CPU style).
__kernel void lm_head_argmax(__global const wtype* W, __global const float* x, int xoff,
                             __global float* logits, int yoff, int ldy, int K, int N, int rows,
                             __global float* partial_val, __global int* partial_idx, int groups, int g0,
                             __local float* lval, __local int* lidx) {
    int o = get_global_id(0), lid = get_local_id(0), n = get_local_size(0), g = get_group_id(0);
    int K8 = K / 8;
    __global const wtype* w = W + (size_t) min(o, N - 1) * K;
    for (int r = 0; r < rows; r++) {
        __global const float* xr = x + xoff + (size_t) r * K;
        float v = -INFINITY;
        if (o < N) {
            float8 acc = (float8) (0.0f);
            for (int i = 0; i < K8; i++) acc = fma(loadw8(w, i), vload8(i, xr), acc);
            v = hsum8(acc);
            for (int k = K8 * 8; k < K; k++) v += loadw(w, k) * xr[k];
            logits[(size_t) r * ldy + yoff + o] = v;
        }
        lval[lid] = v;
        lidx[lid] = yoff + o;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0) {
            float best = lval[0];
            int bi = lidx[0];
            for (int t = 1; t < n; t++) {
                if (lval[t] > best) { best = lval[t]; bi = lidx[t]; }   // ties keep the lower index
            }
            partial_val[r * groups + g0 + g] = best;
            partial_idx[r * groups + g0 + g] = bi;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}
