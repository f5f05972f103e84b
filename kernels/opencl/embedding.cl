// out[r] = table[tokens[r]] widened to fp32. The table may be split into row blocks (devices whose
// largest allocation is smaller than the 250880-row embedding): each launch covers rows
// [row0, row0 + nrows) and writes only the tokens that fall in it.
__kernel void embedding(__global const wtype* table, __global const half* S, int row0, int nrows, __global const int* tokens,
                        __global float* out, int cols) {
    int c = get_global_id(0), r = get_global_id(1);
    int t = tokens[r] - row0;
    if (c >= cols || t < 0 || t >= nrows) return;
    out[(size_t) r * cols + c] = loadw(table + (size_t) t * cols, S + (size_t) t * scale_blocks(cols), c);
}
