package io.bloomj.compute;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Time spent per op kind while profiling was on, with the weight bytes those ops read (so a
 * memory-bound kernel's GB/s can be compared with the machine's bandwidth).
 */
public final class Profile {
    /** One op kind's totals. */
    public record Entry(String kind, long calls, long nanos, long weightBytes) {
        public double gigabytesPerSecond() {
            return nanos == 0 ? 0 : weightBytes / (double) nanos;
        }
    }

    private final Map<String, long[]> totals = new LinkedHashMap<>();

    /** Adds one execution of an op. */
    public void record(String kind, long nanos, long weightBytes) {
        long[] t = totals.computeIfAbsent(kind, k -> new long[3]);
        t[0]++;
        t[1] += nanos;
        t[2] += weightBytes;
    }

    public void clear() {
        totals.clear();
    }

    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        totals.forEach((k, t) -> out.add(new Entry(k, t[0], t[1], t[2])));
        out.sort((a, b) -> Long.compare(b.nanos, a.nanos));
        return out;
    }

    public long totalNanos() {
        return totals.values().stream().mapToLong(t -> t[1]).sum();
    }
}
