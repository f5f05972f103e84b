// Logits of the last `rows` rows, fused with the first pass of argmax: besides writing the
// logits, each work-group leaves the (value, index) of its largest logit per row in
// partial_val / partial_idx [rows, groups] (from column g0 when the table is split into blocks);
// argmax_final (argmax.cl) reduces the partials, so the logits never travel to the host during
// generation. Each work-item computes 4 consecutive logits (four weight streams share each x load).
__kernel void lm_head_argmax(__global const wtype* W, __global const half* S, __global const float* x, int xoff,
                             __global float* logits, int yoff, int ldy, int K, int N, int rows,
                             __global float* partial_val, __global int* partial_idx, int groups, int g0,
                             __local float* lval, __local int* lidx) {
    int o0 = get_global_id(0) * 4, lid = get_local_id(0), n = get_local_size(0), g = get_group_id(0);
    int no = clamp(N - o0, 0, 4);
    int nb = scale_blocks(K);
    int r0 = min(o0, N - 1), r1 = min(o0 + 1, N - 1), r2 = min(o0 + 2, N - 1), r3 = min(o0 + 3, N - 1);
    for (int r = 0; r < rows; r++) {
        __global const float* xr = x + xoff + (size_t) r * K;
        float best = -INFINITY;
        int bi = yoff + o0;
        if (no > 0) {
            float s[4];
            dot4_rows(W + (size_t) r0 * K, W + (size_t) r1 * K, W + (size_t) r2 * K, W + (size_t) r3 * K,
                      S + (size_t) r0 * nb, S + (size_t) r1 * nb, S + (size_t) r2 * nb, S + (size_t) r3 * nb, xr, K, s);
            for (int j = 0; j < no; j++) {
                logits[(size_t) r * ldy + yoff + o0 + j] = s[j];
                if (s[j] > best) { best = s[j]; bi = yoff + o0 + j; }   // ties keep the lower index
            }
        }
        lval[lid] = best;
        lidx[lid] = bi;
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid == 0) {
            for (int t = 1; t < n; t++) {
                if (lval[t] > best) { best = lval[t]; bi = lidx[t]; }
            }
            partial_val[r * groups + g0 + g] = best;
            partial_idx[r * groups + g0 + g] = bi;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// The rows that need logits gathered into a compact buffer before the LM head of a batched step:
// out row i = x row rows[i] (K floats).
__kernel void gather_rows(__global const float* x, __global const int* rows, __global float* out, int K) {
    int c = get_global_id(0), i = get_global_id(1);
    if (c < K) out[(size_t) i * K + c] = x[(size_t) rows[i] * K + c];
}
