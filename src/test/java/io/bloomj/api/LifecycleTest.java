package io.bloomj.api;

import io.bloomj.BloomjException;
import io.bloomj.ClosedException;
import io.bloomj.InvalidInputException;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Closing is safe: a second close does nothing, every use after close is a {@link ClosedException},
 * and closing a model while another thread generates never hangs (it used to, about 1 run in 15 on
 * the CPU backend with 2 threads, when the team's workers left a loop the caller still waited on).
 */
class LifecycleTest {
    @TempDir
    Path dir;

    private BloomModel load(TestBackends.Named backend) throws IOException {
        TinyBloom.standard().writeTo(dir);
        return Bloom.load(dir, LoadOptions.defaults().withThreads(2).withContextLength(4096), backend.open().get());
    }

    @Test
    void closeTwiceAndUseAfterClose() throws IOException {
        for (TestBackends.Named named : TestBackends.all()) {
            BloomModel m = load(named);
            Session s = m.newSession();
            s.append(1, 2, 3);
            s.close();
            s.close();   // nothing
            ClosedException e = assertThrows(ClosedException.class, () -> s.append(4));
            assertEquals("this session is closed", e.getMessage());
            m.close();
            m.close();   // nothing
            assertThrows(ClosedException.class, m::newSession, named.toString());
            assertThrows(ClosedException.class, () -> m.logits(new int[] {1, 2}), named.toString());
            assertThrows(ClosedException.class, () -> m.generate(new int[] {1}, 4), named.toString());
        }
    }

    @Test
    void closingWhileAnotherThreadGeneratesNeverHangs() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (TestBackends.Named named : TestBackends.all()) {
                for (int round = 0; round < 8; round++) {
                    BloomModel m = load(named);
                    CountDownLatch started = new CountDownLatch(1);
                    Future<GenerationResult> gen = pool.submit(() -> m.generate(new int[] {1, 2, 3},
                            GenerationConfig.builder().maxNewTokens(3000).stopAtEos(false).build(), (token, text) -> started.countDown()));
                    assertTrue(started.await(20, TimeUnit.SECONDS), named + ": generation started");
                    Thread.sleep(round);   // close at different points of a step
                    m.close();
                    try {
                        GenerationResult r = gen.get(20, TimeUnit.SECONDS);
                        assertTrue(r.generatedTokens() > 0, named + ": finished before the close took effect");
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertTrue(e.getCause() instanceof ClosedException, named + ": generation ended with " + e.getCause());
                    } catch (TimeoutException e) {
                        fail(named + ": generation still running 20 s after close (round " + round + ")");
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void threadCountsFarBeyondTheMachineAreRefused() {
        int cores = Runtime.getRuntime().availableProcessors();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> LoadOptions.defaults().withThreads(10000));
        assertTrue(e.getMessage().contains("10000 threads is far beyond the " + cores + " core(s)"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> LoadOptions.defaults().withThreads(0));
        assertEquals(4 * cores, LoadOptions.defaults().withThreads(4 * cores).threads());
        BloomjException negative = assertThrows(BloomjException.class, () -> io.bloomj.compute.Backends.threads(-1));
        assertTrue(negative.getMessage().contains("0 (all cores) or a positive count"), negative.getMessage());
        assertEquals(cores, io.bloomj.compute.Backends.threads(0));
    }
}
