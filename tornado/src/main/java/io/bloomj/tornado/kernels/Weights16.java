package io.bloomj.tornado.kernels;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The decode table of 16-bit weights: entry {@code bits} is the exact float a bf16 or f16 value with those bits stands for. */
public final class Weights16 {
    private Weights16() {}

    /** 65536 entries: bf16 ({@code bits << 16}) or IEEE half. */
    public static FloatArray decode(boolean bf16) {
        FloatArray t = new FloatArray(65536);
        for (int i = 0; i < 65536; i++) t.set(i, bf16 ? Float.intBitsToFloat(i << 16) : Float.float16ToFloat((short) i));
        return t;
    }
}
