package io.bloomj.compute.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
