package io.bloomj.api;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.ArrayList;
import java.util.List;

/**
 * Stop strings over any streamed text: what the matcher lets through, plus what it releases at
 * the end, is exactly the text cut before the first occurrence of any stop string, however the
 * text is split into pieces; and no emitted piece ever holds part of a stop string it then completes.
 */
class StopStringsFuzzTest {
    @FuzzTest(maxDuration = "20s", maxExecutions = 20000)
    void anyStopsAndPieces(FuzzedDataProvider in) {
        List<String> stops = new ArrayList<>();
        int n = in.consumeInt(0, 3);
        for (int i = 0; i < n; i++) {
            String s = in.consumeString(6);
            if (!s.isEmpty()) stops.add(s);
        }
        List<String> pieces = new ArrayList<>();
        while (in.remainingBytes() > 0 && pieces.size() < 40) pieces.add(in.consumeString(5));
        String full = String.join("", pieces);
        int cut = -1;
        for (String s : stops) {
            int at = full.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        String expected = cut < 0 ? full : full.substring(0, cut);
        StopMatcher m = new StopMatcher(stops);
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(m.accept(p));
            if (m.stopped()) break;
        }
        if (!m.stopped()) out.append(m.flush());
        if (!out.toString().equals(expected)) {
            throw new AssertionError("stops " + stops + ", pieces " + pieces + ": emitted '" + out + "', expected '" + expected + "'");
        }
        if ((cut >= 0) != m.stopped()) throw new AssertionError("stopped " + m.stopped() + " but the first stop is at " + cut);
    }
}
