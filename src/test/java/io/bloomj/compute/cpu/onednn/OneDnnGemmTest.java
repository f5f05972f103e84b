package io.bloomj.compute.cpu.onednn;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.compute.MatmulMode;
import io.bloomj.compute.cpu.CpuBackend;
import io.bloomj.compute.cpu.ThreadTeam;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The oneDNN binding behind {@code --matmul bf16}, against a naive double reference. Where the CPU
 * has no bf16 dot products (oneDNN 2.6 then has no bf16 matmul at all) the same binding is checked
 * with f32 weights — descriptors, strides of the in-place {@code [out][in]} weights, bias, output
 * rows with a leading dimension, the primitive cache — and the bf16 GEMM's own test runs where it
 * can. CI installs libdnnl2 and sets {@code BLOOMJ_REQUIRE_ONEDNN=1}, so a missing library fails.
 */
class OneDnnGemmTest {
    private static void requireLibrary() {
        if (OneDnn.load() == null && "1".equals(System.getenv("BLOOMJ_REQUIRE_ONEDNN"))) {
            throw new AssertionError("BLOOMJ_REQUIRE_ONEDNN=1 but " + OneDnn.unavailableReason());
        }
        assumeTrue(OneDnn.load() != null, OneDnn::unavailableReason);
    }

    /** W as {@code [n][k]} in native memory (as a mapped checkpoint holds it), values from {@code w}. */
    private static Weight weight(Arena arena, DType type, float[] w, int n, int k) {
        MemorySegment s = arena.allocate((long) n * k * type.bytes(), 64);
        for (int i = 0; i < n * k; i++) {
            if (type == DType.BF16) s.setAtIndex(JAVA_SHORT, i, OneDnnGemm.bf16(w[i]));
            else s.setAtIndex(JAVA_FLOAT, i, w[i]);
        }
        return new Weight("w", type, new long[]{n, k}, s);
    }

    private static float[] random(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    private static double bf16Value(float v) {
        return Float.intBitsToFloat(OneDnnGemm.bf16(v) << 16);
    }

    /**
     * Runs m rows through the GEMM into y with a leading dimension wider than n and checks every
     * output against the double reference on the values the kernel is meant to see (x rounded to
     * bf16 for bf16 weights), within fp32 accumulation error, and that padding stays untouched.
     */
    private static void check(OneDnnGemm gemm, DType type, Weight w, float[] wv, float[] bias, Random rnd, int m, int k, int n) {
        int ldy = n + 3, xOff = 5, yOff = 7;
        float[] x = random(rnd, xOff + m * k);
        float[] y = new float[yOff + m * ldy];
        java.util.Arrays.fill(y, -12345f);
        gemm.run(w, bias, x, xOff, m, y, yOff, ldy);
        for (int r = 0; r < m; r++) {
            for (int o = 0; o < n; o++) {
                double sum = bias == null ? 0 : bias[o], size = Math.abs(sum);
                for (int i = 0; i < k; i++) {
                    double xv = x[xOff + r * k + i], wvv = wv[o * k + i];
                    if (type == DType.BF16) {
                        xv = bf16Value((float) xv);
                        wvv = bf16Value((float) wvv);
                    }
                    sum += xv * wvv;
                    size += Math.abs(xv * wvv);
                }
                float got = y[yOff + r * ldy + o];
                assertEquals(sum, got, 2e-6 * size + 1e-6, type + " m=" + m + " row " + r + " column " + o);
            }
            for (int pad = n; pad < ldy && r < m - 1; pad++) assertEquals(-12345f, y[yOff + r * ldy + pad], "padding of row " + r);
        }
        assertEquals(-12345f, y[yOff - 1], "before the output");
    }

    @Test
    void f32MatmulThroughTheBindingMatchesTheReference() {
        requireLibrary();
        Random rnd = new Random(11);
        int k = 70, n = 33;   // odd sizes: no blocking of oneDNN's divides them
        try (Arena arena = Arena.ofConfined(); ThreadTeam team = new ThreadTeam(2); OneDnnGemm gemm = OneDnnGemm.open(DType.F32, team)) {
            assertTrue(gemm.description().startsWith("oneDNN 2.") && gemm.description().contains("f32 matmul ("), gemm.description());
            float[] wv = random(rnd, n * k), bias = random(rnd, n);
            Weight w = weight(arena, DType.F32, wv, n, k);
            for (int m : new int[]{1, 5, 37}) {
                check(gemm, DType.F32, w, wv, bias, rnd, m, k, n);
                check(gemm, DType.F32, w, wv, null, rnd, m, k, n);
            }
            assertThrows(IllegalArgumentException.class, () -> gemm.run(weight(arena, DType.BF16, wv, n, k), bias, new float[k], 0, 1,
                    new float[n], 0, n), "a GEMM built for f32 refuses bf16 weights");
        }
    }

    @Test
    void primitivesAreCachedPerShapeAndTheOldestDropped() {
        requireLibrary();
        Random rnd = new Random(12);
        int k = 16, n = 8;
        try (Arena arena = Arena.ofConfined(); ThreadTeam team = new ThreadTeam(1); OneDnnGemm gemm = OneDnnGemm.open(DType.F32, team)) {
            float[] wv = random(rnd, n * k);
            Weight w = weight(arena, DType.F32, wv, n, k);
            int before = gemm.cachedShapes();
            check(gemm, DType.F32, w, wv, null, rnd, 3, k, n);
            check(gemm, DType.F32, w, wv, null, rnd, 3, k, n);
            assertEquals(before + 1, gemm.cachedShapes(), "one shape, one primitive");
            for (int m = 1; m <= OneDnnGemm.CACHED_SHAPES + 8; m++) check(gemm, DType.F32, w, wv, null, rnd, m, k, n);
            assertEquals(OneDnnGemm.CACHED_SHAPES, gemm.cachedShapes());
            check(gemm, DType.F32, w, wv, null, rnd, 2, k, n);   // evicted and rebuilt
        }
    }

    @Test
    void bf16MatmulMatchesTheReferenceOnBf16RoundedActivations() {
        requireLibrary();
        String why = OneDnnGemm.bf16Unavailable();
        assumeTrue(why == null, () -> "no bf16 matmul here: " + why);
        Random rnd = new Random(13);
        int k = 96, n = 40;
        try (Arena arena = Arena.ofConfined(); ThreadTeam team = new ThreadTeam(2); OneDnnGemm gemm = OneDnnGemm.open(DType.BF16, team)) {
            float[] wv = random(rnd, n * k), bias = random(rnd, n);
            Weight w = weight(arena, DType.BF16, wv, n, k);
            for (int m : new int[]{1, 7, 64}) check(gemm, DType.BF16, w, wv, bias, rnd, m, k, n);
        }
    }

    @Test
    void theCpuBackendSaysWhichMatmulRunsAndWhy() {
        String why = OneDnnGemm.bf16Unavailable();
        try (CpuBackend exact = new CpuBackend(1); CpuBackend bf16 = new CpuBackend(1, MatmulMode.BF16)) {
            assertEquals("exact", exact.prefillGemm());
            assertNull(exact.matmulFallback(), "nothing was asked of the exact backend");
            if (why == null) {
                assertTrue(bf16.prefillGemm().contains("bf16 matmul"), bf16.prefillGemm());
                assertNull(bf16.matmulFallback());
                assertTrue(bf16.description().contains(bf16.prefillGemm()), bf16.description());
            } else {
                assertEquals("exact", bf16.prefillGemm());
                assertEquals(why, bf16.matmulFallback());
                OneDnn dnnl = OneDnn.load();
                if (dnnl != null && !OneDnn.hasBf16DotProducts(dnnl.effectiveCpuIsa())) {
                    assertTrue(why.contains("no bf16 dot-product instructions") && why.contains(OneDnn.isaName(dnnl.effectiveCpuIsa())), why);
                }
            }
        }
    }

    @Test
    void aModelAskedForBf16MatmulsSaysWhatRan(@TempDir Path tmp) throws IOException {
        TinyBloom.standard().writeTo(tmp);
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};
        LoadOptions options = LoadOptions.defaults().withThreads(2).withContextLength(32);
        try (BloomModel exact = Bloom.load(tmp, options); BloomModel bf16 = Bloom.load(tmp, options.withMatmul(MatmulMode.BF16))) {
            assertNull(exact.matmulNote());
            assertEquals("exact", exact.prefillGemm());
            float[][] a = exact.logitsPerPosition(prompt), b = bf16.logitsPerPosition(prompt);
            String why = OneDnnGemm.bf16Unavailable();
            if (why != null) {
                assertEquals(why, bf16.matmulNote());
                assertEquals("exact", bf16.prefillGemm());
                for (int p = 0; p < prompt.length; p++) assertArrayEquals(a[p], b[p], "the fallback is the exact path, position " + p);
            } else {
                assertNull(bf16.matmulNote());
                assertTrue(bf16.prefillGemm().contains("bf16 matmul"), bf16.prefillGemm());
                double worst = 0, top = 0;
                for (int p = 0; p < prompt.length; p++) {
                    for (int v = 0; v < a[p].length; v++) {
                        worst = Math.max(worst, Math.abs(a[p][v] - b[p][v]));
                        top = Math.max(top, Math.abs(a[p][v]));
                    }
                }
                // bf16 activations carry 8 significant bits: a few parts in a thousand through two layers
                assertTrue(worst > 0 && worst < 0.02 * top, "largest difference " + worst + " against largest |logit| " + top);
            }
        }
    }

    @Test
    void aMissingLibraryIsExplained() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> OneDnn.open("/nonexistent/libdnnl.so.2"));
        assertTrue(e.getMessage().contains("/nonexistent/libdnnl.so.2") && e.getMessage().contains("apt-get install libdnnl2"), e.getMessage());
    }

    @Test
    void activationsRoundToTheNearestBf16TiesToEven() {
        assertEquals((short) 0x3f80, OneDnnGemm.bf16(1f));
        assertEquals((short) 0x3f80, OneDnnGemm.bf16(Float.intBitsToFloat(0x3f808000)), "a tie goes to the even 0x3f80");
        assertEquals((short) 0x3f82, OneDnnGemm.bf16(Float.intBitsToFloat(0x3f818000)), "a tie goes to the even 0x3f82");
        assertEquals((short) 0x3f81, OneDnnGemm.bf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x7f80, OneDnnGemm.bf16(Float.MAX_VALUE), "rounds up to infinity");
        assertEquals((short) 0xff80, OneDnnGemm.bf16(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(Float.intBitsToFloat(OneDnnGemm.bf16(Float.intBitsToFloat(0x7f800001)) << 16)), "a NaN whose payload is in the low bits stays NaN");
        Random rnd = new Random(14);
        for (int i = 0; i < 200_000; i++) {
            float v = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(v)) continue;
            int lo = Float.floatToRawIntBits(v) & 0xffff0000;
            double a = Float.intBitsToFloat(lo), b = Float.intBitsToFloat(lo + 0x10000);
            double da = Math.abs(v - a), db = Math.abs(b - v);
            if (Float.isInfinite((float) b) || Float.isNaN((float) b)) db = Double.POSITIVE_INFINITY;   // beyond the largest
            int expected = da < db || (da == db && (lo & 0x10000) == 0) ? lo : lo + 0x10000;
            if (Float.isInfinite(v)) expected = lo;
            // between the largest finite bf16 and infinity a float rounds to infinity when past the midpoint
            if (db == Double.POSITIVE_INFINITY && (Float.floatToRawIntBits(v) & 0xffff) >= 0x8000) expected = lo + 0x10000;
            assertEquals((short) (expected >>> 16), OneDnnGemm.bf16(v), Float.toString(v));
        }
    }
}
