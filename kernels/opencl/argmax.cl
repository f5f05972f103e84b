// argmax over each logits row, ties to the lowest index (as torch.argmax), in two passes:
// argmax_partial leaves one (value, index) per chunk, argmax_final reduces them per row and
// writes the winning token id as a float (exact: ids < 2^24).
__kernel void argmax_partial(__global const float* logits, int ld, int N, int chunk,
                             __global float* partial_val, __global int* partial_idx, int groups) {
    int g = get_global_id(0), r = get_global_id(1);
    if (g >= groups) return;
    int start = g * chunk, end = min(N, start + chunk);
    __global const float* row = logits + (size_t) r * ld;
    float best = -INFINITY;
    int bi = start;
    for (int i = start; i < end; i++) {
        if (row[i] > best) { best = row[i]; bi = i; }
    }
    partial_val[r * groups + g] = best;
    partial_idx[r * groups + g] = bi;
}

__kernel void argmax_final(__global const float* partial_val, __global const int* partial_idx, int groups,
                           __global float* token) {
    int r = get_global_id(0);
    float best = -INFINITY;
    int bi = 0;
    for (int g = 0; g < groups; g++) {
        float v = partial_val[r * groups + g];
        int i = partial_idx[r * groups + g];
        if (v > best || (v == best && i < bi)) { best = v; bi = i; }
    }
    token[r] = (float) bi;
}
