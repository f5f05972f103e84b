package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Splits fused QKV rows laid out per head as [heads, 3, hd]: q into q [rows, heads*hd]; k and v into
 * the KV pool at each row's position, in the block its sequence's table names (kernels/opencl/kv_store.cl's
 * layout: kc[((block * heads + h) * hd + d) * bs + offset], vc[((block * heads + h) * bs + offset) * hd + d]).
 */
public final class KvStore {
    private KvStore() {}

    /** One work-item per (row, head, d) of the step's rows. */
    public static void kvStore(KernelContext ctx, FloatArray qkv, FloatArray q, FloatArray kc, FloatArray vc, int heads, int hd, int bs,
                               IntArray rowpos, IntArray rowtab, IntArray table, IntArray step) {
        int i = ctx.globalIdx;
        int width = heads * hd;
        if (i < step.get(0) * width) {
            int r = i / width;
            int rem = i - r * width;
            int h = rem / hd;
            int d = rem - h * hd;
            int src = r * 3 * width + h * 3 * hd;
            int pos = rowpos.get(r);
            int block = table.get(rowtab.get(r) + pos / bs);
            int off = pos - (pos / bs) * bs;
            q.set(r * width + h * hd + d, qkv.get(src + d));
            kc.set(((block * heads + h) * hd + d) * bs + off, qkv.get(src + hd + d));
            vc.set(((block * heads + h) * bs + off) * hd + d, qkv.get(src + 2 * hd + d));
        }
    }
}
