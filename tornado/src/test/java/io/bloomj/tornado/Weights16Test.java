package io.bloomj.tornado;

import io.bloomj.tornado.kernels.Weights16;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The table decode (the same static method the kernels call) gives every bf16 and f16 value exactly. */
class Weights16Test {
    @Test
    void everyNonNanSixteenBitValueDecodesExactly() throws Exception {
        var value = Weights16.class.getDeclaredMethod("value", FloatArray.class, short.class, int.class, int.class, float.class);
        value.setAccessible(true);
        for (boolean bf16 : new boolean[] {true, false}) {
            FloatArray t = Weights16.decode(bf16);
            int mb = (int) t.get(1024);
            for (int bits = 0; bits < 65536; bits++) {
                float expected = bf16 ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat((short) bits);
                if (Float.isNaN(expected)) continue;
                float got = (float) value.invoke(null, t, (short) bits, mb, (1 << mb) - 1, 1f / (1 << mb));
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got), (bf16 ? "bf16 " : "f16 ") + Integer.toHexString(bits));
            }
        }
    }
}
