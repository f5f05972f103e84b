package io.bloomj.compute.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The panel matmul against a double reference, at shapes that reach every edge: an odd k (a zero
 * column), k across several chunks, n not a multiple of 16 (a zero panel), rows across blocks and
 * leftover rows beside 4-row tiles, output ranges split as threads split them. And its promise:
 * a row's bits are the same whatever rows and output range it runs with.
 */
class MatmulPanelsTest {
    private static float bf16(short s) {
        return Float.intBitsToFloat(s << 16);
    }

    @Test
    void everyRowIsOneChainMatchingTheReferenceAndItsOwnBitsAlone() {
        assumeTrue(MatmulPanels.supported(), "no 256-bit vectors here");
        Random rnd = new Random(31);
        for (int k : new int[]{37, 40, 1101, 8}) {
            for (int n : new int[]{16, 45, 200}) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment w = arena.allocate(2L * n * k, 64);
                    for (long i = 0; i < (long) n * k; i++) w.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (0x3f00 + rnd.nextInt(0x200) - 0x100 | (rnd.nextBoolean() ? 0x8000 : 0)));
                    MemorySegment panels = arena.allocate(MatmulPanels.bytes(n, k), 64);
                    MatmulPanels.pack(w, n, k, panels, 0, MatmulPanels.panels(n) / 2);
                    MatmulPanels.pack(w, n, k, panels, MatmulPanels.panels(n) / 2, MatmulPanels.panels(n));
                    float[] bias = new float[n];
                    for (int o = 0; o < n; o++) bias[o] = (float) rnd.nextGaussian();
                    int m = 70;   // two row blocks, leftover rows
                    float[] x = new float[3 + m * k];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    int ldy = n + 5;
                    float[] scratch = new float[MatmulPanels.scratchFloats(k)];
                    float[] all = new float[m * ldy];
                    // the output range in two parts, as two threads would take it
                    int split = Math.min(n, 16 * ((n / 16 + 1) / 2));
                    MatmulPanels.run(panels, n, k, bias, x, 3, m, all, 0, ldy, 0, split, scratch);
                    if (split < n) MatmulPanels.run(panels, n, k, bias, x, 3, m, all, 0, ldy, split, n, scratch);
                    for (int r = 0; r < m; r++) {
                        for (int o = 0; o < n; o++) {
                            double s = bias[o], size = Math.abs(bias[o]);
                            for (int i = 0; i < k; i++) {
                                double t = bf16(w.getAtIndex(ValueLayout.JAVA_SHORT, (long) o * k + i)) * (double) x[3 + r * k + i];
                                s += t;
                                size += Math.abs(t);
                            }
                            assertEquals(s, all[r * ldy + o], 1e-6 * size, "k " + k + " n " + n + " row " + r + " output " + o);
                        }
                    }
                    // a row alone, and a few rows from the middle, over the whole range: the same bits
                    for (int[] part : new int[][]{{5, 1}, {17, 3}, {60, 9}}) {
                        float[] y = new float[part[1] * ldy];
                        MatmulPanels.run(panels, n, k, bias, x, 3 + part[0] * k, part[1], y, 0, ldy, 0, n, scratch);
                        for (int r = 0; r < part[1]; r++) {
                            for (int o = 0; o < n; o++) {
                                assertEquals(Float.floatToIntBits(all[(part[0] + r) * ldy + o]), Float.floatToIntBits(y[r * ldy + o]),
                                        "row " + (part[0] + r) + " output " + o + " with " + part[1] + " rows, k " + k + " n " + n);
                            }
                        }
                    }
                    assertEquals(0f, all[ldy - 1], "the row's padding is left alone");
                }
            }
        }
    }

    /** Without the memory for the copy the backend reads the matrices in place, says so, and computes the same model. */
    @Test
    void withoutMemoryForTheCopyTheMatricesAreReadInPlace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        assumeTrue(MatmulPanels.supported(), "no 256-bit vectors here");
        io.bloomj.testing.TinyBloom spec = io.bloomj.testing.TinyBloom.standard();
        var tensors = spec.writeTo(dir);
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9};
        double[][] expected = new io.bloomj.testing.ReferenceBloom(spec, tensors).logits(prompt);
        io.bloomj.api.LoadOptions options = io.bloomj.api.LoadOptions.defaults().withContextLength(16);
        HostMemory.override = 1000;
        try (io.bloomj.api.BloomModel m = io.bloomj.api.Bloom.load(dir, options, new CpuBackend(2))) {
            float[][] actual = m.logitsPerPosition(prompt);
            org.junit.jupiter.api.Assertions.assertTrue(m.backendDescription().contains("bf16 matrices read in place: repacking them needs"),
                    m.backendDescription());
            for (int p = 0; p < prompt.length; p++) {
                for (int v = 0; v < spec.vocab(); v++) assertEquals(expected[p][v], actual[p][v], 1e-3, "position " + p + " token " + v);
            }
        } finally {
            HostMemory.override = -1;
        }
        try (io.bloomj.api.BloomModel m = io.bloomj.api.Bloom.load(dir, options, new CpuBackend(2))) {
            m.logits(prompt);
            org.junit.jupiter.api.Assertions.assertTrue(m.backendDescription().contains("bf16 matrices in panels"), m.backendDescription());
        }
    }
}
