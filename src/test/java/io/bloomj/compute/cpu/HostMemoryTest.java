package io.bloomj.compute.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The copies' memory: zeroed, writable, exactly the size asked, gone with its arena (large copies come from mmap). */
class HostMemoryTest {
    @Test
    void largeAndSmallAllocationsAreZeroedWritableAndFreedWithTheirArena() {
        for (long bytes : new long[]{(3L << 20) + 12, 4096}) {
            MemorySegment s;
            try (Arena arena = Arena.ofShared()) {
                s = HostMemory.allocate(bytes, arena);
                assertEquals(bytes, s.byteSize());
                for (long i = 0; i < bytes; i += 4093) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of " + bytes);
                assertEquals(0, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
                s.set(ValueLayout.JAVA_INT, 0, 42);
                s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
                assertEquals(42, s.get(ValueLayout.JAVA_INT, 0));
                assertTrue(s.address() % 64 == 0, "aligned for 256-bit loads");
            }
            MemorySegment gone = s;
            assertThrows(IllegalStateException.class, () -> gone.get(ValueLayout.JAVA_BYTE, 0), "freed with the arena");
        }
    }

    @Test
    void availableMemoryIsKnownOnLinux() {
        long a = HostMemory.available();
        if (System.getProperty("os.name").startsWith("Linux")) assertTrue(a > 0, "MemAvailable: " + a);
    }
}
