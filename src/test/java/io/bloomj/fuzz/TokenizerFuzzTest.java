package io.bloomj.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bloomj.BloomjException;
import io.bloomj.tokenizer.BloomTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Any tokenizer.json, then any text through it: a BloomjException with a message, or ids that
 * decode; nothing else. Input: the file's bytes, a 0 byte, the text.
 */
class TokenizerFuzzTest {
    @FuzzTest(maxDuration = "20s", maxExecutions = 20000)
    void anyTokenizer(byte[] data) throws IOException {
        int split = 0;
        while (split < data.length && data[split] != 0) split++;
        String json = new String(data, 0, split, java.nio.charset.StandardCharsets.UTF_8);
        String text = split < data.length ? new String(data, split + 1, data.length - split - 1, java.nio.charset.StandardCharsets.UTF_8) : "Bonjour";
        Path dir = Files.createTempDirectory("fuzz-tok-");
        try {
            Files.writeString(dir.resolve(BloomTokenizer.FILE), json);
            try (BloomTokenizer tok = BloomTokenizer.load(dir)) {
                int[] ids = tok.encode(text);
                for (int id : ids) {
                    if (id < 0 || id >= tok.vocabSize() + 1000) throw new AssertionError("id " + id + " from a vocabulary of " + tok.vocabSize());
                }
                tok.decode(ids);
            } catch (BloomjException e) {
                if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message", e);
            }
        } finally {
            Files.deleteIfExists(dir.resolve(BloomTokenizer.FILE));
            Files.deleteIfExists(dir);
        }
    }
}
