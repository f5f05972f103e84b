package io.bloomj.compute.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadTeamTest {
    @Test
    void everyIndexRunsExactlyOnceInGrainAlignedChunks() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (ThreadTeam team = new ThreadTeam(threads)) {
                for (int round = 0; round < 200; round++) {    // many rounds: handshakes must not lose a wake-up
                    int count = 1 + round * 7 % 97, grain = 1 + round % 5;
                    AtomicIntegerArray hits = new AtomicIntegerArray(count);
                    team.parallelFor(count, grain, (s, e, w) -> {
                        assertTrue(s % grain == 0, "chunk start " + s + " not a multiple of " + grain);
                        assertTrue(w >= 0 && w < threads);
                        for (int i = s; i < e; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "index " + i + " of " + count);
                }
            }
        }
    }

    @Test
    void wakesParkedWorkers() throws InterruptedException {
        try (ThreadTeam team = new ThreadTeam(2)) {
            team.parallelFor(10, 1, (s, e, w) -> { });
            Thread.sleep(200); // long enough for the worker to stop spinning and park
            AtomicIntegerArray hits = new AtomicIntegerArray(2);
            team.parallelFor(2, 1, (s, e, w) -> hits.incrementAndGet(w));
            assertEquals(1, hits.get(0));
            assertEquals(1, hits.get(1));
        }
    }

    @Test
    void failureInAWorkerReachesTheCaller() {
        try (ThreadTeam team = new ThreadTeam(3)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.parallelFor(30, 1, (s, end, w) -> {
                if (w == 2) throw new IllegalStateException("boom in worker");
            }));
            assertEquals("boom in worker", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(30);
            team.parallelFor(30, 1, (s, end, w) -> { for (int i = s; i < end; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 30; i++) assertEquals(1, hits.get(i), "team still usable after a failure");
        }
    }
}
