// Prepended to every bloomj OpenCL program. Weights keep their checkpoint dtype, chosen per
// program with -DW_BF16 / -DW_F16 / -DW_F32 / -DW_Q8_0; activations, biases and norms are fp32.
// Every weight access goes through loadw / loadw8 with the row's scales S (Q8_0: one half per 32
// int8 values of the row, weight = q * scale; the float dtypes ignore S).
//
// bf16 is the top half of an fp32: widen by a 16-bit shift.
//   bf16:            s eeeeeeee mmmmmmm
//   fp32: s eeeeeeee mmmmmmm 0000000000000000
// f16 uses vload_half, which is core OpenCL 1.2 (no cl_khr_fp16 needed to read halves).

#if defined(W_BF16)
typedef ushort wtype;
inline float loadw(__global const wtype* p, __global const half* s, size_t i) { return as_float(((uint) p[i]) << 16); }
inline float8 loadw8(__global const wtype* p, __global const half* s, size_t i8) {
    return as_float8(convert_uint8(vload8(i8, p)) << (uint8) (16));
}
#elif defined(W_F16)
typedef half wtype;
inline float loadw(__global const wtype* p, __global const half* s, size_t i) { return vload_half(i, p); }
inline float8 loadw8(__global const wtype* p, __global const half* s, size_t i8) { return vload_half8(i8, p); }
#elif defined(W_Q8_0)
// Q8_0: values int8 [rows, cols], scales half [rows, (cols + 31) / 32]; p and s point at one row.
typedef char wtype;
inline float loadw(__global const wtype* p, __global const half* s, size_t i) { return (float) p[i] * vload_half(i >> 5, s); }
inline float8 loadw8(__global const wtype* p, __global const half* s, size_t i8) {
    return convert_float8(vload8(i8, p)) * vload_half(i8 >> 2, s);   // 8 values never straddle a block of 32
}
#else
typedef float wtype;
inline float loadw(__global const wtype* p, __global const half* s, size_t i) { return p[i]; }
inline float8 loadw8(__global const wtype* p, __global const half* s, size_t i8) { return vload8(i8, p); }
#endif

// Scales per row of K values (Q8_0 blocks of 32).
inline int scale_blocks(int K) { return (K + 31) / 32; }

inline float hsum8(float8 v) {
    float4 a = v.lo + v.hi;
    float2 b = a.lo + a.hi;
    return b.x + b.y;
}

// Sum of v over the work-group (local size a power of two); every work-item gets the result.
inline float group_sum(float v, __local float* scratch) {
    int lid = get_local_id(0), n = get_local_size(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = n / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

// Four weight rows against one input row: four load streams share each 8-wide x load (the GEMV
// pattern of matmul_gemv_rows4 and lm_head_argmax). Results in s[0..3].
inline void dot4_rows(__global const wtype* w0, __global const wtype* w1, __global const wtype* w2,
                      __global const wtype* w3, __global const half* s0, __global const half* s1, __global const half* s2,
                      __global const half* s3, __global const float* xr, int K, float* s) {
    int K8 = K / 8;
    float8 a0 = (float8) (0.0f), a1 = a0, a2 = a0, a3 = a0;
    for (int i = 0; i < K8; i++) {
        float8 xv = vload8(i, xr);
        a0 = fma(loadw8(w0, s0, i), xv, a0);
        a1 = fma(loadw8(w1, s1, i), xv, a1);
        a2 = fma(loadw8(w2, s2, i), xv, a2);
        a3 = fma(loadw8(w3, s3, i), xv, a3);
    }
    s[0] = hsum8(a0);
    s[1] = hsum8(a1);
    s[2] = hsum8(a2);
    s[3] = hsum8(a3);
    for (int k = K8 * 8; k < K; k++) {
        float xk = xr[k];
        s[0] += loadw(w0, s0, k) * xk;
        s[1] += loadw(w1, s1, k) * xk;
        s[2] += loadw(w2, s2, k) * xk;
        s[3] += loadw(w3, s3, k) * xk;
    }
}
