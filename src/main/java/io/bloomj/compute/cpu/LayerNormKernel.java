package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;
import static io.bloomj.compute.cpu.Vectors.PARTNER;

/** LayerNorm of one row: two passes (mean, then variance of the centred values) for accuracy. */
final class LayerNormKernel {
    private LayerNormKernel() {}

    static void row(float[] x, int xOff, int n, float[] gamma, float[] beta, float eps, float[] y, int yOff) {
        float mean = sum(x, xOff, n) / n;
        float var = centredSquares(x, xOff, n, mean) / n;
        float rstd = (float) (1.0 / Math.sqrt(var + eps));
        int i = 0;
        if (Vectors.ENABLED) {
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector v = FV.cast(FloatVector.fromArray(F, x, xOff + i)).sub(mean).mul(rstd);
                v.fma(FV.cast(FloatVector.fromArray(F, gamma, i)), FV.cast(FloatVector.fromArray(F, beta, i))).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] = (x[xOff + i] - mean) * rstd * gamma[i] + beta[i];
    }

    private static float sum(float[] x, int off, int n) {
        int i = 0;
        float s = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(n); i < bound; i += L) acc = acc.add(FV.cast(FloatVector.fromArray(F, x, off + i)));
            // Vectors.sumAt's tree in registers, unrolled (constant shuffles; L is a constant, so C2 folds the tests)
            if (L >= 16) acc = acc.add(acc.rearrange(PARTNER[8]));
            if (L >= 8) acc = acc.add(acc.rearrange(PARTNER[4]));
            acc = acc.add(acc.rearrange(PARTNER[2]));
            acc = acc.add(acc.rearrange(PARTNER[1]));
            s = acc.lane(0);
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    private static float centredSquares(float[] x, int off, int n, float mean) {
        int i = 0;
        float s = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector d = FV.cast(FloatVector.fromArray(F, x, off + i)).sub(mean);
                acc = d.fma(d, acc);
            }
            // Vectors.sumAt's tree in registers, unrolled (constant shuffles; L is a constant, so C2 folds the tests)
            if (L >= 16) acc = acc.add(acc.rearrange(PARTNER[8]));
            if (L >= 8) acc = acc.add(acc.rearrange(PARTNER[4]));
            acc = acc.add(acc.rearrange(PARTNER[2]));
            acc = acc.add(acc.rearrange(PARTNER[1]));
            s = acc.lane(0);
        }
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }
}
