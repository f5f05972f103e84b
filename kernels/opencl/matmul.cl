// y[r, o] = act(W[o] . x[r] + bias[o]) + residual[r, o]   for the step's rows r and outputs o of a
// weight block (rows [yoff, yoff + N) of the full matrix; yoff = 0 unless the weight is split).
//   act: 0 = none, 1 = BLOOM tanh GELU (the MLP's dense_h_to_4h fused with its activation)
//   has_res: add residual (dense / dense_4h_to_h fused with the residual connection)
// x row r starts at x[xoff + r * K]; y and residual row r is row yrow + r (stride ldy): a step's
// decode rows run through a GEMV launch and its prompt rows through a GEMM launch after them.

inline float activate(float v, int act) {
    return act == 1 ? v * 0.5f * (1.0f + tanh(0.79788456f * v * (1.0f + 0.044715f * v * v))) : v;
}

// GEMV for CPU devices: one work-item per 4 outputs (four weight streams share each x load),
// 8-wide loads, no barriers.
__kernel void matmul_gemv_rows4(__global const wtype* W, __global const half* S, __global const float* bias, __global const float* x, int xoff,
                          __global float* y, int yoff, int ldy, int K, int N, int rows, int act,
                          __global const float* res, int has_res, int yrow) {
    int o0 = get_global_id(0) * 4;
    if (o0 >= N) return;
    int no = min(4, N - o0);
    int nb = scale_blocks(K);
    int o1 = o0 + min(1, no - 1), o2 = o0 + min(2, no - 1), o3 = o0 + min(3, no - 1);
    for (int r = 0; r < rows; r++) {
        __global const float* xr = x + xoff + (size_t) r * K;
        float s[4];
        dot4_rows(W + (size_t) o0 * K, W + (size_t) o1 * K, W + (size_t) o2 * K, W + (size_t) o3 * K,
                  S + (size_t) o0 * nb, S + (size_t) o1 * nb, S + (size_t) o2 * nb, S + (size_t) o3 * nb, xr, K, s);
        for (int j = 0; j < no; j++) {
            size_t at = (size_t) (yrow + r) * ldy + yoff + o0 + j;
            float v = activate(s[j] + bias[yoff + o0 + j], act);
            y[at] = has_res ? v + res[at] : v;
        }
    }
}

// GEMV for GPUs: one work-group per output, its work-items stride over k, local tree reduction.
__kernel void matmul_gemv(__global const wtype* W, __global const half* S, __global const float* bias, __global const float* x, int xoff,
                        __global float* y, int yoff, int ldy, int K, int N, int rows, int act,
                        __global const float* res, int has_res, int yrow, __local float* scratch) {
    int o = get_group_id(0), lid = get_local_id(0), n = get_local_size(0);
    __global const wtype* w = W + (size_t) o * K;
    __global const half* ws = S + (size_t) o * scale_blocks(K);
    int K8 = K / 8;
    for (int r = 0; r < rows; r++) {
        __global const float* xr = x + xoff + (size_t) r * K;
        float8 acc = (float8) (0.0f);
        for (int i = lid; i < K8; i += n) acc = fma(loadw8(w, ws, i), vload8(i, xr), acc);
        float s = hsum8(acc);
        for (int k = K8 * 8 + lid; k < K; k += n) s += loadw(w, ws, k) * xr[k];
        s = group_sum(s, scratch);
        if (lid == 0) {
            size_t at = (size_t) (yrow + r) * ldy + yoff + o;
            float v = activate(s + bias[yoff + o], act);
            y[at] = has_res ? v + res[at] : v;
        }
    }
}

// GEMM for prefill: each work-item computes a 4 (rows) x 4 (outputs) tile, so every weight and
// input vector it loads is used four times.
__kernel void matmul_gemm(__global const wtype* W, __global const half* S, __global const float* bias, __global const float* x, int xoff,
                           __global float* y, int yoff, int ldy, int K, int N, int rows, int act,
                           __global const float* res, int has_res, int yrow) {
    int o0 = get_global_id(0) * 4, r0 = get_global_id(1) * 4;
    if (o0 >= N || r0 >= rows) return;
    int no = min(4, N - o0), nr = min(4, rows - r0);
    float8 acc[4][4];
    for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = (float8) (0.0f);
    int K8 = K / 8;
    __global const wtype* w[4];
    __global const half* ws[4];
    __global const float* xr[4];
    int nb = scale_blocks(K);
    for (int j = 0; j < 4; j++) {
        w[j] = W + (size_t) (o0 + min(j, no - 1)) * K;
        ws[j] = S + (size_t) (o0 + min(j, no - 1)) * nb;
    }
    for (int i = 0; i < 4; i++) xr[i] = x + xoff + (size_t) (r0 + min(i, nr - 1)) * K;
    for (int k = 0; k < K8; k++) {
        float8 wv[4], xv[4];
        for (int j = 0; j < 4; j++) wv[j] = loadw8(w[j], ws[j], k);
        for (int i = 0; i < 4; i++) xv[i] = vload8(k, xr[i]);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) acc[i][j] = fma(wv[j], xv[i], acc[i][j]);
    }
    for (int i = 0; i < nr; i++) {
        for (int j = 0; j < no; j++) {
            float s = hsum8(acc[i][j]);
            for (int k = K8 * 8; k < K; k++) s += loadw(w[j], ws[j], k) * xr[i][k];
            size_t at = (size_t) (yrow + r0 + i) * ldy + yoff + o0 + j;
            float v = activate(s + bias[yoff + o0 + j], act);
            y[at] = has_res ? v + res[at] : v;
        }
    }
}
