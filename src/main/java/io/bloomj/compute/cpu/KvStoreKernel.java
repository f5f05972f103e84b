package io.bloomj.compute.cpu;

import io.bloomj.compute.Step;

/**
 * Splits fused QKV rows laid out per head as {@code [heads, 3, headDim]}: queries to {@code q},
 * keys and values into the KV pool at each row's position, in the block its slot's table names
 * ({@link Step#block}): keys transposed, {@code kc[((block * heads + h) * headDim + d) * blockSize + offset]},
 * values {@code vc[((block * heads + h) * blockSize + offset) * headDim + d]}.
 */
final class KvStoreKernel {
    private KvStoreKernel() {}

    /** Heads {@code [h0, h1)} of every row of the step. */
    static void heads(float[] qkv, float[] q, float[] kc, float[] vc, int heads, int hd, int blockSize, Step step, int h0, int h1) {
        int width = heads * hd;
        int[] positions = step.positions(), slots = step.slots();
        for (int r = 0; r < step.rows(); r++) {
            int pos = positions[r];
            int block = step.block(slots[r], pos, blockSize), offset = pos % blockSize;
            for (int h = h0; h < h1; h++) {
                int src = r * 3 * width + h * 3 * hd;     // [heads, 3, headDim] within the row
                System.arraycopy(qkv, src, q, r * width + h * hd, hd);
                int kBase = (block * heads + h) * hd * blockSize + offset;
                for (int d = 0; d < hd; d++) kc[kBase + d * blockSize] = qkv[src + hd + d];
                System.arraycopy(qkv, src + 2 * hd, vc, ((block * heads + h) * blockSize + offset) * hd, hd);
            }
        }
    }
}
