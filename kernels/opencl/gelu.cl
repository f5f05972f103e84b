// BLOOM's tanh GELU (transformers' bloom_gelu_forward), elementwise; in place is allowed.
__kernel void gelu(__global const float* x, __global float* y, int n) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = x[i];
    y[i] = v * 0.5f * (1.0f + tanh(0.79788456f * v * (1.0f + 0.044715f * v * v)));
}
