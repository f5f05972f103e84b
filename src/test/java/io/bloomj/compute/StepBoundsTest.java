package io.bloomj.compute;

import io.bloomj.testing.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every backend refuses a step that does not fit its graph before running anything: positions past
 * the KV cache, more rows than the activation buffers hold, more logit rows than the logits buffer.
 * (A device kernel would otherwise write past its buffer without a word.)
 */
class StepBoundsTest {
    static List<TestBackends.Named> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void stepsThatDoNotFitAreRefused(TestBackends.Named named) {
        int heads = 2, hd = 4, capacity = 6, width = heads * hd, maxRows = 3;
        Buffer qkv = new Buffer("qkv", maxRows, 3 * width), q = new Buffer("q", maxRows, width);
        Buffer kc = new Buffer("k_cache", heads * hd, capacity), vc = new Buffer("v_cache", heads * capacity, hd);
        Buffer out = new Buffer("out", maxRows, width);
        Graph g = new Graph(List.of(new Op.KvStore(qkv, heads, hd, q, kc, vc),
                new Op.AlibiAttention(q, kc, vc, heads, hd, new float[] {0.5f, 0.25f}, 0.5f, out)), maxRows, out, null, Set.of(kc, vc));
        try (Backend backend = named.open().get(); ExecutionPlan plan = backend.plan(g)) {
            plan.execute(new Step(new int[3], 3, 1));   // positions 3..5: the last ones that fit
            plan.synchronize();
            String past = assertThrows(IllegalArgumentException.class, () -> plan.execute(new Step(new int[2], 5, 1))).getMessage();
            assertTrue(past.contains("positions up to 7 exceed the KV cache of 6"), past);
            String rows = assertThrows(IllegalArgumentException.class, () -> plan.execute(new Step(new int[4], 0, 1))).getMessage();
            assertTrue(rows.contains("a step of 4 rows exceeds the graph's 3"), rows);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void logitRowsBeyondTheLogitsBufferAreRefused(TestBackends.Named named) {
        Buffer in = new Buffer("in", 4, 8), out = new Buffer("out", 4, 8), logits = new Buffer("logits", 2, 8);
        Graph g = new Graph(List.of(new Op.Add(in, in, out)), 4, logits, null, Set.of());
        try (Backend backend = named.open().get(); ExecutionPlan plan = backend.plan(g)) {
            String m = assertThrows(IllegalArgumentException.class, () -> plan.execute(new Step(new int[4], 0, 3))).getMessage();
            assertTrue(m.contains("3 logit rows exceed the logits buffer's 2"), m);
        }
    }
}
