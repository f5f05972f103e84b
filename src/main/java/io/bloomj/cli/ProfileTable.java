package io.bloomj.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.bloomj.compute.Bandwidth;
import io.bloomj.compute.Profile;

import java.io.PrintWriter;
import java.util.Locale;

/** A {@link Profile} as a Markdown table or JSON: per kernel, calls, time, share, achieved weight GB/s. */
final class ProfileTable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProfileTable() {}

    /**
     * @param steps divides calls and times (decoded tokens for a per-token table, 1 for totals)
     * @param probe measured bandwidth for the "of bandwidth" column, or null
     */
    static void print(PrintWriter out, String test, Profile p, int steps, Bandwidth probe) {
        out.printf(Locale.ROOT, "%nper-kernel profile of %s (%s):%n%n", test, steps == 1 ? "totals" : "per token");
        out.println("| kernel | calls | ms | % of step | weights GB/s | of bandwidth |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        double total = p.totalNanos();
        for (Profile.Entry e : p.entries()) {
            String gbs = e.weightBytes() == 0 ? "" : String.format(Locale.ROOT, "%.1f", e.gigabytesPerSecond());
            String frac = e.weightBytes() == 0 || probe == null ? ""
                    : String.format(Locale.ROOT, "%.0f%%", 100 * e.gigabytesPerSecond() * 1e9 / probe.median());
            out.printf(Locale.ROOT, "| %s | %d | %.3f | %.1f | %s | %s |%n", e.kind(), e.calls() / steps,
                    e.nanos() / 1e6 / steps, 100 * e.nanos() / total, gbs, frac);
        }
        out.flush();
    }

    static String json(Profile p) {
        ArrayNode rows = JSON.createArrayNode();
        double total = p.totalNanos();
        for (Profile.Entry e : p.entries()) {
            rows.addObject().put("kernel", e.kind()).put("calls", e.calls()).put("total_ms", e.nanos() / 1e6)
                    .put("percent", 100 * e.nanos() / total).put("weight_gb_per_second", e.gigabytesPerSecond());
        }
        try {
            return JSON.writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
