package io.bloomj.compute;

import java.util.Arrays;

/**
 * A measured memory bandwidth: the roofline decode is held to (decode reads every weight once per
 * token). CPUs report a multi-threaded read of a buffer much larger than the caches; devices a
 * device-to-device copy (bytes read + bytes written per second).
 *
 * @param kind           what was measured ("host read, 2 thread(s)", "device copy")
 * @param bytes          size of the buffer measured
 * @param bytesPerSecond one sample per repetition
 */
public record Bandwidth(String kind, long bytes, double[] bytesPerSecond) {
    public double median() {
        double[] s = bytesPerSecond.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public double min() {
        return Arrays.stream(bytesPerSecond).min().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(bytesPerSecond).max().orElse(Double.NaN);
    }
}
