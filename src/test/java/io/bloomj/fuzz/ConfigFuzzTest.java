package io.bloomj.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bloomj.BloomjException;
import io.bloomj.model.BloomConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Any text as config.json: a BloomjException with a message, or a config whose values the forward pass can use. */
class ConfigFuzzTest {
    @FuzzTest(maxDuration = "20s", maxExecutions = 20000)
    void anyConfig(byte[] data) {
        try {
            BloomConfig c = BloomConfig.parse(Path.of("config.json"), new String(data, StandardCharsets.UTF_8));
            if (c.vocabSize() < 1 || c.hiddenSize() % c.numHeads() != 0 || !(c.layerNormEpsilon() >= 0)
                    || c.eosTokenId() < 0 || c.eosTokenId() >= c.vocabSize()) {
                throw new AssertionError("accepted an unusable config: " + c);
            }
        } catch (BloomjException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) throw new AssertionError("an error without a message", e);
        }
    }
}
