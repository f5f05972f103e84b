package io.bloomj.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bloomj.BloomjException;
import io.bloomj.model.SafetensorsFile;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/** Any bytes as a safetensors file: a BloomjException with a message, or tensors; nothing else. */
class SafetensorsFuzzTest {
    @FuzzTest(maxDuration = "20s", maxExecutions = 20000)
    void anyFile(byte[] data) throws IOException {
        Path f = Files.createTempFile("fuzz-", ".safetensors");
        try {
            Files.write(f, data);
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsFile st = SafetensorsFile.open(f, arena);
                st.tensors().values().forEach(w -> {
                    if (w.numel() > 0) w.get(w.numel() - 1);   // every tensor handed out is readable to its end
                });
            } catch (BloomjException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message", e);
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
