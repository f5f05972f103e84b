package io.bloomj.compute.cpu;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** What the operating system says about host memory. */
final class HostMemory {
    private HostMemory() {}

    /** What {@link #available} answers instead of asking the system, when >= 0 (tests of the fallbacks). */
    static volatile long override = -1;

    /**
     * Bytes the system can give without swapping ({@code MemAvailable} of /proc/meminfo: free memory
     * plus the page cache it can drop, the mapped checkpoint's included), or -1 where unknown.
     */
    static long available() {
        if (override >= 0) return override;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] f = line.trim().split("\\s+");
                    return Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: no check
        }
        return -1;
    }

    /** System property {@code bloomj.cpu.hugepages=false}: plain pages for the copies (to compare). */
    static final boolean HUGE_PAGES = !"false".equals(System.getProperty("bloomj.cpu.hugepages"));

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        // the flag values below are Linux's
        if (System.getProperty("os.name", "").startsWith("Linux")) try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        } catch (RuntimeException e) {
            // not Linux/glibc: allocate() uses the arena
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /**
     * {@code bytes} of zeroed memory freed with {@code arena}: on Linux fresh anonymous pages marked
     * for transparent huge pages before anything touches them (2 MiB pages: a 6 GB copy faults 3000
     * times instead of 1.5 million, and decode's streams walk far fewer TLB entries), else from the
     * arena.
     */
    static MemorySegment allocate(long bytes, Arena arena) {
        if (HUGE_PAGES && MMAP != null && bytes >= (2L << 20)) {
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
                if (p.address() != -1L && p.address() != 0L) {
                    int ignored = (int) MADVISE.invokeExact(p, bytes, MADV_HUGEPAGE);   // advice: refused, plain pages
                    return p.reinterpret(bytes, arena, s -> {
                        try {
                            int r = (int) MUNMAP.invokeExact(s, bytes);
                        } catch (Throwable t) {
                            // nothing to do: the process keeps the mapping
                        }
                    });
                }
            } catch (Throwable t) {
                // fall through to the arena
            }
        }
        return arena.allocate(bytes, 64);
    }
}
