package io.bloomj.api;

import io.bloomj.InsufficientMemoryException;
import io.bloomj.InvalidInputException;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend checks a session's memory against the JVM heap before allocating, as device
 * backends check device memory: a context too long for the heap is an InsufficientMemoryException
 * saying what is needed and what there is (it was an OutOfMemoryError with a stack trace), and one
 * too long for a buffer's int size is refused by name (it overflowed into a negative size).
 */
class MemoryChecksTest {
    @TempDir
    Path dir;

    @Test
    void contextsTooLongForTheHeapOrForABufferAreRefusedBeforeAllocating() throws IOException {
        TinyBloom.standard().writeTo(dir);
        long heap = Runtime.getRuntime().maxMemory();
        // 6 heads of 8: a layer's value cache holds 48 floats per position; 2 layers, keys and values
        int context = (int) Math.min(Integer.MAX_VALUE / 64, heap / (4L * 48 * 4) + 1000);
        try (BloomModel m = Bloom.load(dir, LoadOptions.defaults().withThreads(1).withContextLength(context))) {
            InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class, m::newSession);
            assertTrue(e.needed() > e.available(), e.getMessage());
            assertTrue(e.getMessage().contains("JVM heap") && e.getMessage().contains("-Xmx"), e.getMessage());
            try (Session small = m.newSession(64)) {   // the model is still usable
                small.append(1, 2, 3);
            }
        }
        try (BloomModel m = Bloom.load(dir, LoadOptions.defaults().withThreads(1).withContextLength(1_000_000_000))) {
            InvalidInputException e = assertThrows(InvalidInputException.class, m::newSession);
            assertTrue(e.getMessage().startsWith("context length 1000000000 is too large"), e.getMessage());
        }
    }
}
