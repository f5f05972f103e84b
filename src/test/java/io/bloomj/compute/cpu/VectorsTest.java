package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The lane sums every GEMV output goes through: four at once, and in registers, must be the one-at-a-time bits. */
class VectorsTest {
    @Test
    void fourSumsAtOnceAreEachSumsBits() {
        Random rnd = new Random(21);
        int l = Vectors.L;
        float[] tmp = new float[l];
        for (int trial = 0; trial < 20_000; trial++) {
            FloatVector[] v = new FloatVector[4];
            float[] t = new float[4 * l + 3];
            for (int j = 0; j < 4; j++) {
                float[] a = new float[l];
                // mixed magnitudes, so a different order of the adds would round differently
                for (int i = 0; i < l; i++) a[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
                if (trial % 1000 == 0) a[rnd.nextInt(l)] = trial % 2000 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                v[j] = FloatVector.fromArray(Vectors.F, a, 0);
                System.arraycopy(a, 0, t, 3 + j * l, l);
            }
            Vectors.sum4At(t, 3);
            int[] lane = {0, l / 2, l / 4, 3 * l / 4};
            for (int j = 0; j < 4; j++) {
                v[j].intoArray(tmp, 0);
                float viaMemory = Vectors.sumAt(tmp, 0);
                assertEquals(Float.floatToIntBits(viaMemory), Float.floatToIntBits(t[3 + lane[j]]), "vector " + j + " of trial " + trial);
                // the register tree (no scratch) must give the same bits as the tree through memory
                assertEquals(Float.floatToIntBits(viaMemory), Float.floatToIntBits(inRegisters(v[j])), "registers, vector " + j + " of trial " + trial);
            }
        }
    }

    /** The tree MatmulKernel's fallback dot products write out after their loops. */
    private static float inRegisters(FloatVector acc) {
        if (Vectors.L >= 16) acc = acc.add(acc.rearrange(Vectors.PARTNER[8]));
        if (Vectors.L >= 8) acc = acc.add(acc.rearrange(Vectors.PARTNER[4]));
        acc = acc.add(acc.rearrange(Vectors.PARTNER[2]));
        acc = acc.add(acc.rearrange(Vectors.PARTNER[1]));
        return acc.lane(0);
    }
}
