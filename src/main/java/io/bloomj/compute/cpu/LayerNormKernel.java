package io.bloomj.compute.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static io.bloomj.compute.cpu.Vectors.F;
import static io.bloomj.compute.cpu.Vectors.L;
import static io.bloomj.compute.cpu.Vectors.FV;

/** LayerNorm of one row: two passes (mean, then variance of the centred values) for accuracy. */
final class LayerNormKernel {
    private LayerNormKernel() {}

    /** One row; {@code tmp} holds at least {@code L} floats (scratch). */
    static void row(float[] x, int xOff, int n, float[] gamma, float[] beta, float eps, float[] y, int yOff, float[] tmp) {
        float mean = sum(x, xOff, n, tmp) / n;
        float var = centredSquares(x, xOff, n, mean, tmp) / n;
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

    private static float sum(float[] x, int off, int n, float[] tmp) {
        int i = 0;
        float s = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(n); i < bound; i += L) acc = acc.add(FV.cast(FloatVector.fromArray(F, x, off + i)));
            // lanes through memory, summed in Vectors.sumAt's order (a shuffle tree in registers was boxed in some JVMs)
            acc.intoArray(tmp, 0);
            s = Vectors.sumAt(tmp, 0);
        }
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    private static float centredSquares(float[] x, int off, int n, float mean, float[] tmp) {
        int i = 0;
        float s = 0;
        if (Vectors.ENABLED) {
            FloatVector acc = FV.cast(FloatVector.zero(F));
            for (int bound = F.loopBound(n); i < bound; i += L) {
                FloatVector d = FV.cast(FloatVector.fromArray(F, x, off + i)).sub(mean);
                acc = d.fma(d, acc);
            }
            // lanes through memory, summed in Vectors.sumAt's order (a shuffle tree in registers was boxed in some JVMs)
            acc.intoArray(tmp, 0);
            s = Vectors.sumAt(tmp, 0);
        }
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            s += d * d;
        }
        return s;
    }
}
