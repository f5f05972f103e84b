package io.bloomj.engine;

/**
 * ALiBi slopes exactly as transformers' {@code build_alibi_tensor}: a geometric sequence for the
 * largest power of two {@code c <= heads}, {@code slope_i = (2^(-8/c))^i} for i = 1..c, and for the
 * remaining {@code heads - c} heads the odd terms of the sequence for {@code 2c}.
 */
public final class Alibi {
    private Alibi() {}

    public static float[] slopes(int heads) {
        int closest = Integer.highestOneBit(heads);
        double base = Math.pow(2, -Math.pow(2, -(log2(closest) - 3)));
        float[] slopes = new float[heads];
        for (int i = 0; i < closest; i++) slopes[i] = (float) Math.pow(base, i + 1);
        if (closest != heads) {
            double extraBase = Math.pow(2, -Math.pow(2, -(log2(2 * closest) - 3)));
            int remaining = Math.min(closest, heads - closest);
            for (int i = 0; i < remaining; i++) slopes[closest + i] = (float) Math.pow(extraBase, 2 * i + 1);
        }
        return slopes;
    }

    private static double log2(int x) {
        return Integer.numberOfTrailingZeros(x); // x is a power of two
    }
}
