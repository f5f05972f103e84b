package io.bloomj.compute.cpu;

import io.bloomj.testing.TestWeights;
import io.bloomj.testing.TestWeights.TestWeight;
import io.bloomj.testing.Tolerances;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector Q8_0 GEMV: exact arithmetic on the dequantized weights (the +128 bias trick and the
 * fp16 scale widening included: tiny weights give subnormal fp16 scales), and a row's bits the same
 * whether it runs paired with any other row or alone, for one input or several.
 */
class Q8GemvTest {
    @Test
    void matchesTheDequantizedWeightsAndKeepsARowsBitsInAnyPairing() {
        Assumptions.assumeTrue(Q8Gemv.supported(32), "the Q8_0 vector kernel needs 256-bit vectors");
        Random rnd = new Random(3);
        for (int k : new int[] {32, 300, 1024, 1050}) {
            int rows = 11, d = 3;
            // row scale 1e-6: block maxima / 127 fall below fp16's smallest normal (6.1e-5), so those scales are subnormal
            TestWeight w = TestWeights.q8Weight(rnd, k == 300 ? 1e-4 : 1 / Math.sqrt(k), rows, k);
            float[] x = TestWeights.activations(rnd, d * k);
            int pk = Q8Gemv.packedFloats(k);
            float[] packed = new float[d * pk];
            for (int n = 0; n < d; n++) Q8Gemv.pack(x, n * k, k, packed, n * pk);
            float[] scratch = new float[Q8Gemv.scratchFloats(k)];

            float[] all = new float[d * rows];
            Q8Gemv.rows(w.weight(), packed, 0, pk, d, x, 0, all, 0, rows, 0, rows, scratch, 0);
            for (int n = 0; n < d; n++) {
                for (int o = 0; o < rows; o++) {
                    double expected = 0, magnitude = 0;
                    for (int i = 0; i < k; i++) {
                        expected += w.values()[o * k + i] * x[n * k + i];
                        magnitude += Math.abs(w.values()[o * k + i] * x[n * k + i]);
                    }
                    double err = Math.abs(all[n * rows + o] - expected);
                    assertTrue(err <= 4 * Tolerances.fp32Sum(k) * magnitude + 1e-30,
                            "k=" + k + " input " + n + " row " + o + ": " + all[n * rows + o] + " vs " + expected);
                }
            }
            // every row alone (paired with itself), in other pairings (ranges shifted by one), and through the one-input GEMV
            for (int o0 = 0; o0 < rows; o0++) {
                float[] alone = new float[d * rows], shifted = new float[d * rows];
                Q8Gemv.rows(w.weight(), packed, 0, pk, d, x, 0, alone, 0, rows, o0, o0 + 1, scratch, 0);
                Q8Gemv.rows(w.weight(), packed, 0, pk, d, x, 0, shifted, 0, rows, o0, rows, scratch, 0);
                for (int n = 0; n < d; n++) {
                    assertEquals(Float.floatToIntBits(all[n * rows + o0]), Float.floatToIntBits(alone[n * rows + o0]), "row " + o0 + " alone");
                    assertEquals(Float.floatToIntBits(all[n * rows + o0]), Float.floatToIntBits(shifted[n * rows + o0]), "row " + o0 + " re-paired");
                }
            }
            float[] one = new float[rows];
            Q8Gemv.gemv(w.weight(), x, 0, one, 0, 0, rows, scratch);
            for (int o = 0; o < rows; o++) assertEquals(Float.floatToIntBits(all[o]), Float.floatToIntBits(one[o]), "gemv row " + o);
        }
    }
}
