package io.bloomj.compute.cpu;

/**
 * Splits fused QKV rows laid out per head as {@code [heads, 3, headDim]}: queries to {@code q},
 * keys transposed into {@code kCache [heads * headDim, capacity]}, values into
 * {@code vCache [heads * capacity, headDim]}, at positions {@code position + r}.
 */
final class KvStoreKernel {
    private KvStoreKernel() {}

    /** Heads {@code [h0, h1)} of rows {@code [0, rows)}. */
    static void heads(float[] qkv, float[] q, float[] kc, float[] vc, int heads, int hd, int capacity, int position, int rows,
                      int h0, int h1) {
        int width = heads * hd;
        for (int r = 0; r < rows; r++) {
            int pos = position + r;
            for (int h = h0; h < h1; h++) {
                int src = r * 3 * width + h * 3 * hd;     // [heads, 3, headDim] within the row
                System.arraycopy(qkv, src, q, r * width + h * hd, hd);
                for (int d = 0; d < hd; d++) kc[(h * hd + d) * capacity + pos] = qkv[src + hd + d];
                System.arraycopy(qkv, src + 2 * hd, vc, (h * capacity + pos) * hd, hd);
            }
        }
    }
}
