package io.bloomj.cli;

import java.util.Locale;

/** Human-readable byte counts (decimal units, as disk and bandwidth figures are quoted). */
final class Sizes {
    private Sizes() {}

    static String bytes(long b) {
        if (b < 1000) return b + " B";
        if (b < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
        if (b < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", b / 1e6);
        return String.format(Locale.ROOT, "%.2f GB", b / 1e9);
    }
}
