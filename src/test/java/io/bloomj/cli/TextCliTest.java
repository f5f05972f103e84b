package io.bloomj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.testing.TestTokenizer;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text commands end to end on a tiny random checkpoint with the test tokenizer. */
class TextCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void model() throws IOException {
        TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12).writeTo(dir);
        TestTokenizer.write(dir);
    }

    @Test
    void chatThroughAPipeAnswersEachLineAndExitsZero() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("Bonjour !\n\n/reset\nC'est quoi le deep learning ?\n/exit\nnot read\n"
                    .getBytes(StandardCharsets.UTF_8)));
            CliTest.Result r = CliTest.run("chat", "--model", dir.toString(), "-n", "5", "--ignore-eos", "--system", "Assistant.");
            assertEquals(0, r.code(), r.err());
            assertEquals(2, r.out().lines().count(), "one answer line per question: " + r.out());
            assertEquals(2, r.err().lines().filter(l -> l.startsWith("[5 tokens")).count(), r.err());
            assertTrue(r.err().contains("(new conversation)"), r.err());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void generateFromTextWithSamplingOptionsAndJson() throws IOException {
        CliTest.Result r = CliTest.run("generate", "--model", dir.toString(), "--prompt", "C'est quoi le deep learning ?", "-n", "6",
                "--temperature", "0.8", "--top-p", "0.9", "--top-k", "50", "--repetition-penalty", "1.2", "--seed", "7",
                "--ignore-eos", "--logprobs", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(6, j.get("tokens").size());
        assertTrue(j.has("text"));
        assertEquals(6, j.get("logprobs").size());
        assertEquals(2, j.get("logprobs").get(0).get("top").size());
        CliTest.Result again = CliTest.run("generate", "--model", dir.toString(), "--prompt", "C'est quoi le deep learning ?", "-n", "6",
                "--temperature", "0.8", "--top-p", "0.9", "--top-k", "50", "--repetition-penalty", "1.2", "--seed", "7",
                "--ignore-eos", "--logprobs", "2", "--json");
        assertEquals(j.get("tokens"), JSON.readTree(again.out()).get("tokens"), "same seed, same tokens");
        CliTest.Result streamed = CliTest.run("generate", "--model", dir.toString(), "--prompt", "Bonjour", "-n", "4", "--stream");
        assertEquals(0, streamed.code(), streamed.err());
        assertTrue(streamed.err().contains("finish:"), streamed.err());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws IOException {
        CliTest.Result t = CliTest.run("tokenize", "--model", dir.toString(), "--text", "</s>Bonjour, ça va ?<s>");
        assertEquals(0, t.code(), t.err());
        JsonNode j = JSON.readTree(t.out());
        JsonNode ids = j.get("tokens");
        assertEquals(2, ids.get(0).asInt());
        assertEquals(j.get("pieces").size(), ids.size());
        StringBuilder csv = new StringBuilder();
        for (JsonNode id : ids) csv.append(csv.isEmpty() ? "" : ",").append(id.asInt());
        CliTest.Result d = CliTest.run("detokenize", "--model", dir.toString(), "--tokens", csv.toString());
        assertEquals("</s>Bonjour, ça va ?<s>", d.out().strip());
        CliTest.Result bad = CliTest.run("detokenize", "--model", dir.toString(), "--tokens", "1,99999");
        assertEquals(Main.EXIT_BAD_INPUT, bad.code());
        assertTrue(bad.err().contains("outside the tokenizer's vocabulary"), bad.err());
    }

    @Test
    void scoreAndPerplexity() throws IOException {
        CliTest.Result s = CliTest.run("score", "--model", dir.toString(), "--context", "La capitale de la France est",
                "--continuation", " Paris.");
        assertEquals(0, s.code(), s.err());
        JsonNode j = JSON.readTree(s.out());
        assertEquals(j.get("tokens").size(), j.get("token_logprobs").size());
        assertTrue(j.get("sum_logprob").asDouble() < 0);
        Path text = dir.resolve("text.txt");
        Files.writeString(text, "Bonjour, ça va ? The quick brown fox jumps over the lazy dog. ".repeat(4));
        CliTest.Result p = CliTest.run("perplexity", "--model", dir.toString(), "--file", text.toString(), "--window", "32", "--stride", "16");
        assertEquals(0, p.code(), p.err());
        JsonNode pj = JSON.readTree(p.out());
        assertEquals(pj.get("tokens").asInt() - 1, pj.get("scored_tokens").asInt());
        assertTrue(pj.get("perplexity").asDouble() > 1);
    }

    @Test
    void textNeedsATokenizer() throws IOException {
        Files.delete(dir.resolve("tokenizer.json"));
        CliTest.Result r = CliTest.run("generate", "--model", dir.toString(), "--prompt", "Bonjour");
        assertEquals(Main.EXIT_BAD_INPUT, r.code());
        assertTrue(r.err().contains("no tokenizer.json"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
