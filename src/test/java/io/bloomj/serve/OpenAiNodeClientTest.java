package io.bloomj.serve;

import io.bloomj.api.BatchOptions;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.testing.TestTokenizer;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bloomj serve} driven by the official {@code openai} npm package (src/test/node). CI installs
 * it ({@code npm ci --prefix src/test/node}) and sets {@code BLOOMJ_REQUIRE_NODE=1}, so there the
 * test cannot be skipped; elsewhere it is skipped without node or the package.
 */
class OpenAiNodeClientTest {
    @TempDir
    Path dir;

    @Test
    void theOfficialOpenAiClientTalksToBloomjServe() throws Exception {
        Path script = Path.of("src/test/node/openai-client.mjs").toAbsolutePath();
        boolean installed = Files.isDirectory(script.getParent().resolve("node_modules/openai"));
        boolean required = "1".equals(System.getenv("BLOOMJ_REQUIRE_NODE"));
        if (!installed && required) fail("BLOOMJ_REQUIRE_NODE=1 but the openai package is not installed: npm ci --prefix src/test/node");
        assumeTrue(installed, "the openai npm package is not installed (npm ci --prefix src/test/node)");
        TinyBloom spec = TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12);
        spec.writeTo(dir);
        TestTokenizer.write(dir);
        try (BloomModel model = Bloom.load(dir, LoadOptions.defaults().withThreads(2).withContextLength(256));
             OpenAiServer server = OpenAiServer.start(model, "tiny-bloom", new BatchOptions(4, 8, 0, 64), "127.0.0.1", 0)) {
            Process p = new ProcessBuilder("node", script.toString(), "http://127.0.0.1:" + server.port() + "/v1")
                    .redirectErrorStream(true).start();
            boolean exited = p.waitFor(120, TimeUnit.SECONDS);
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!exited) {
                p.destroyForcibly();
                fail("the node client did not finish:\n" + output);
            }
            assertEquals(0, p.exitValue(), output);
            assertTrue(output.contains("all checks passed"), output);
        }
    }
}
