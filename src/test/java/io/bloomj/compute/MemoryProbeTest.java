package io.bloomj.compute;

import io.bloomj.testing.TestBackends;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bandwidth probe every "of bandwidth" figure is divided by: on each backend it must stream at
 * least the requested size, report the bytes it really moved (a device copy reads and writes), and
 * give finite positive rates. No speed is asserted.
 */
class MemoryProbeTest {
    static List<TestBackends.Named> backends() {
        return TestBackends.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void probeReportsWhatItMoved(TestBackends.Named named) {
        long requested = 3L << 20;
        try (Backend backend = named.open().get()) {
            try (MemoryProbe probe = backend.memoryProbe(requested)) {
                assertTrue(probe.bytes() >= requested - 4096 && probe.bytes() <= 2 * requested, "probe size " + probe.bytes());
                long moved = probe.run();
                long expected = probe.kind().startsWith("device copy") ? 2 * probe.bytes() : probe.bytes();
                assertEquals(expected, moved, probe.kind());
            }
            Bandwidth bandwidth = backend.measureBandwidth(requested, 3);
            assertEquals(3, bandwidth.bytesPerSecond().length);
            for (double rate : bandwidth.bytesPerSecond()) assertTrue(Double.isFinite(rate) && rate > 0, "rate " + rate);
            assertTrue(bandwidth.min() <= bandwidth.median() && bandwidth.median() <= bandwidth.max());
        }
    }
}
