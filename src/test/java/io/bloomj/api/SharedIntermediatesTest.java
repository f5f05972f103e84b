package io.bloomj.api;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plans of one backend share their intermediates (Graph.intermediates): a sequence's results
 * must not depend on what other sequences run between its steps (equal up to float rounding of the
 * JIT tiers), and a second plan must not allocate a second set of activations.
 */
class SharedIntermediatesTest {
    @TempDir
    Path dir;

    @Test
    void intermediatesAreWhatLivesWithinAStep() {
        Buffer x = new Buffer("x", 2, 4), h = new Buffer("h", 2, 4), y = new Buffer("y", 2, 4), kept = new Buffer("kept", 2, 4);
        Graph g = new Graph(List.of(new Op.Gelu(x, h), new Op.Add(h, kept, y), new Op.Gelu(y, kept)), 2, y, null, Set.of(kept));
        // x: only read (an input); h: written then read; y: the result; kept: state, read before written
        assertEquals(Set.of(h), g.intermediates());
    }

    @Test
    void interleavedSessionsGiveTheLogitsOfSessionsAlone() throws IOException {
        TinyBloom.standard().writeTo(dir);
        int[] a = {1, 17, 42, 5, 88, 23}, b = {9, 31, 77, 50, 2, 64};
        for (TestBackends.Named named : TestBackends.all()) {
            try (BloomModel m = Bloom.load(dir, LoadOptions.defaults().withContextLength(32), named.open().get())) {
                List<float[]> aloneA = run(m, a), aloneB = run(m, b);
                try (Session sa = m.newSession(); Session sb = m.newSession()) {
                    for (int i = 0; i < a.length; i++) {
                        float[] la = sa.append(a[i]);
                        float[] lb = sb.append(b[i]);
                        assertSame(aloneA.get(i), la, named + ": sequence A at token " + i + " with B interleaved");
                        assertSame(aloneB.get(i), lb, named + ": sequence B at token " + i + " with A interleaved");
                    }
                }
            }
        }
    }

    /**
     * The same logits up to float rounding: a kernel may run interpreted, then JIT-compiled, with its
     * lanes summed in another order (reduceLanes' order is unspecified); a sequence that read another
     * one's state would be off by far more than this.
     */
    private static void assertSame(float[] expected, float[] actual, String what) {
        for (int v = 0; v < expected.length; v++) {
            assertTrue(Math.abs(expected[v] - actual[v]) <= 1e-5 * (1 + Math.abs(expected[v])),
                    what + ", token " + v + ": " + expected[v] + " vs " + actual[v]);
        }
    }

    private static List<float[]> run(BloomModel m, int[] tokens) {
        List<float[]> out = new ArrayList<>();
        try (Session s = m.newSession()) {
            for (int t : tokens) out.add(s.append(t));
        }
        return out;
    }

    @Test
    void aSecondPlanOnADeviceAllocatesNoSecondSetOfIntermediates() {
        TestBackends.assumeOpenCl();
        Buffer x = new Buffer("x", 8, 1000), h = new Buffer("h", 8, 1000), y = new Buffer("y", 8, 1000);
        Graph g = new Graph(List.of(new Op.Gelu(x, h), new Op.Add(h, x, y)), 8, y, null, Set.of());
        long intermediateBytes = h.elements() * Float.BYTES;
        for (TestBackends.Named named : TestBackends.openCl()) {
            try (Backend backend = named.open().get()) {
                long first, second;
                try (ExecutionPlan p1 = backend.plan(g)) {
                    first = backend.peakDeviceMemory();
                    try (ExecutionPlan p2 = backend.plan(g)) {
                        second = backend.peakDeviceMemory() - first;
                    }
                }
                assertTrue(first > 3 * intermediateBytes, named + ": the first plan holds x, h and y: " + first);
                assertEquals(first - intermediateBytes, second, named + ": the second plan reuses h");
            }
        }
    }
}
