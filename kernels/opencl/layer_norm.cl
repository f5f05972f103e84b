// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta, biased variance, two passes.
// One work-group per row; its size (a power of two) is 1 on CPU devices, where a lone work-item
// per row beats barriers, and 256 on GPUs.
__kernel void layer_norm(__global const float* x, __global const float* gamma, __global const float* beta,
                         __global float* y, int cols, float eps, __local float* scratch) {
    int r = get_group_id(0), lid = get_local_id(0), n = get_local_size(0);
    __global const float* xr = x + (size_t) r * cols;
    __global float* yr = y + (size_t) r * cols;
    float s = 0.0f;
    for (int i = lid; i < cols; i += n) s += xr[i];
    float mean = group_sum(s, scratch) / cols;
    float v = 0.0f;
    for (int i = lid; i < cols; i += n) {
        float d = xr[i] - mean;
        v += d * d;
    }
    float rstd = 1.0f / sqrt(group_sum(v, scratch) / cols + eps);
    for (int i = lid; i < cols; i += n) yr[i] = (xr[i] - mean) * rstd * gamma[i] + beta[i];
}
