package io.bloomj.api;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could be the start of a stop string is held back
 * until it is known not to be one, so a listener never sees part of a stop string.
 */
final class StopMatcher {
    private final List<String> stops;
    private String held = "";
    private boolean stopped;

    StopMatcher(List<String> stops) {
        this.stops = stops;
    }

    /** Adds generated text; returns what may be emitted now (cut before a stop string if one completed). */
    String accept(String piece) {
        if (stops.isEmpty()) return piece;
        String s = held + piece;
        int cut = -1;
        for (String stop : stops) {
            int at = s.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0) {
            stopped = true;
            held = "";
            return s.substring(0, cut);
        }
        int keep = 0;
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, s.length()); k > keep; k--) {
                if (s.endsWith(stop.substring(0, k))) {
                    keep = k;
                    break;
                }
            }
        }
        held = s.substring(s.length() - keep);
        return s.substring(0, s.length() - keep);
    }

    boolean stopped() {
        return stopped;
    }

    /** Releases held-back text at the end of generation (it did not become a stop string). */
    String flush() {
        String h = held;
        held = "";
        return h;
    }
}
