package io.bloomj.bench;

import java.util.Arrays;

/** Summary statistics of benchmark samples. */
public final class Stats {
    private Stats() {}

    public static double median(double[] xs) {
        if (xs.length == 0) return Double.NaN;
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static double mean(double[] xs) {
        return Arrays.stream(xs).average().orElse(Double.NaN);
    }

    /** Sample standard deviation (0 for a single sample). */
    public static double stddev(double[] xs) {
        if (xs.length < 2) return 0;
        double m = mean(xs), ss = 0;
        for (double x : xs) ss += (x - m) * (x - m);
        return Math.sqrt(ss / (xs.length - 1));
    }
}
