package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * Exact decoding of 16-bit weights (bf16, f16) without reinterpreting bits, which TornadoVM's code
 * generators cannot do: a 16-bit value with sign/exponent bits {@code h} and mantissa bits {@code m}
 * is {@code scale[h] * (lead[h] + m / 2^M)}, where scale[h] is the signed power of two of the exponent
 * (2^(1-bias) for subnormals) and lead[h] the implicit leading one (0 for subnormals); both are
 * powers of two or small integers, so the product is exact. The table is 1025 floats, small enough
 * for a core's L1 cache: scale at [0, 512), lead at [512, 1024), and M (7 for bf16, 10 for f16) at 1024.
 * Infinities decode to infinities; NaN payloads to infinities (weights hold none).
 */
public final class Weights16 {
    private Weights16() {}

    /** The decode table of a dtype: bf16 (8 exponent bits, 7 mantissa bits) or IEEE half (5 and 10). */
    public static FloatArray decode(boolean bf16) {
        int mantissa = bf16 ? 7 : 10, exponentBits = bf16 ? 8 : 5, bias = (1 << (exponentBits - 1)) - 1;
        int maxExp = (1 << exponentBits) - 1;
        FloatArray t = new FloatArray(1025);
        for (int h = 0; h < (1 << (exponentBits + 1)); h++) {
            int e = h & maxExp;
            float sign = (h >> exponentBits) != 0 ? -1f : 1f;
            float scale = e == maxExp ? Float.POSITIVE_INFINITY : (float) Math.scalb(1.0, (e == 0 ? 1 : e) - bias);
            t.set(h, sign * scale);
            t.set(512 + h, e == 0 ? 0f : 1f);
        }
        t.set(1024, mantissa);
        return t;
    }

    /** The exact value of 16-bit weight {@code bits} (kernels hoist the table's M out of their loops). */
    static float value(FloatArray table, short bits, int mantissa, int mask, float ulp) {
        int b = bits & 0xFFFF;
        int h = b >> mantissa;
        return table.get(h) * (table.get(512 + h) + (b & mask) * ulp);
    }

    /**
     * Weight (row, k) of a [rows, K] matrix: a 16-bit value of {@code w}, or with {@code q8} = 1 a
     * Q8_0 value, {@code q * scale} with the block's fp16 scale from {@code qs} [rows, ceil(K / 32)]
     * ({@code table} is then the f16 table). {@code q8} is a kernel's scalar argument, compiled in as a
     * constant, so each task keeps only its own branch.
     */
    static float weight(ShortArray w, ByteArray q, ShortArray qs, FloatArray table, int q8, int row, int k, int K, int mantissa, int mask,
                        float ulp) {
        if (q8 == 1) return q.get(row * K + k) * value(table, qs.get(row * ((K + 31) >> 5) + (k >> 5)), mantissa, mask, ulp);
        return value(table, w.get(row * K + k), mantissa, mask, ulp);
    }

    /**
     * Row {@code o} of the matrix times {@code x[xb, xb + K)}, one work-item's share: k = start,
     * start + stride, ... (the work-items of a group then sum their shares in a fixed tree).
     */
    static float dotStrided(ShortArray w, ByteArray q, ShortArray qs, FloatArray table, int q8, int o, FloatArray x, int xb, int K, int start,
                            int stride) {
        int mantissa = (int) table.get(1024);
        int mask = (1 << mantissa) - 1;
        float ulp = 1f / (1 << mantissa);
        float s = 0f;
        for (int k = start; k < K; k += stride) s += weight(w, q, qs, table, q8, o, k, K, mantissa, mask, ulp) * x.get(xb + k);
        return s;
    }
}
