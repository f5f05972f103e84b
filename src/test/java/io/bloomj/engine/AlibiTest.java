package io.bloomj.engine;

import io.bloomj.testing.ReferenceBloom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AlibiTest {
    @Test
    void powerOfTwoHeadsFormAGeometricSequence() {
        // 8 heads: 2^-1 ... 2^-8 (the ALiBi paper's example).
        float[] s = Alibi.slopes(8);
        for (int i = 0; i < 8; i++) assertEquals(Math.pow(2, -(i + 1)), s[i], 0.0);
    }

    @Test
    void nonPowerOfTwoHeadsTakeOddTermsOfTheNextSequence() {
        // 6 heads: 4-head sequence 2^-2, 2^-4, 2^-6, 2^-8, then 8-head terms 1 and 3: 2^-1, 2^-3.
        assertArrayEquals(new float[] {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f}, Alibi.slopes(6), 0f);
    }

    @Test
    void agreesWithTheTransformersFormulaForEveryHeadCountUpTo128() {
        for (int heads = 1; heads <= 128; heads++) {
            double[] expected = ReferenceBloom.slopes(heads);
            float[] actual = Alibi.slopes(heads);
            for (int h = 0; h < heads; h++) {
                assertEquals((float) expected[h], actual[h], Math.ulp((float) expected[h]), heads + " heads, head " + h);
            }
        }
    }
}
