package io.bloomj.cli;

import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad command lines, one per row: exit code 2 and exactly one line on stderr, starting "bloomj: ", naming the problem. */
class BadCommandLinesTest {
    private static Path tmp;
    private static String model;

    @BeforeAll
    static void checkpoint() throws IOException {
        tmp = Files.createTempDirectory("bloomj-badcli-");
        TinyBloom.standard().writeTo(tmp.resolve("tiny"));
        model = tmp.resolve("tiny").toString();
    }

    /** Each row: the words the message must contain, then the command line ({@code M} = the tiny model folder). */
    static Stream<List<String>> rows() {
        return Stream.of(
                List.of("frobnicate", "|", "frobnicate"),
                List.of("not found", "|", "info", "--model", "/nonexistent/model"),
                List.of("0 (all cores)", "|", "info", "--model", "M", "--threads", "-1"),
                List.of("far beyond", "|", "info", "--model", "M", "--threads", "100000"),
                List.of("q4", "|", "info", "--model", "M", "--weights", "q4"),
                List.of("unknown backend 'vulkan'", "|", "info", "--model", "M", "--backend", "vulkan"),
                List.of("device", "|", "info", "--model", "M", "--device", "-1"),
                List.of("context length", "|", "info", "--model", "M", "-c", "0"),
                List.of("batch size", "|", "info", "--model", "M", "-b", "0"),
                List.of("--bogus", "|", "info", "--model", "M", "--bogus"),
                List.of("x", "|", "generate", "--model", "M", "--tokens", "1,x"),
                List.of("99999", "|", "generate", "--model", "M", "--tokens", "1,99999"),
                List.of("max new tokens", "|", "generate", "--model", "M", "--tokens", "1", "-n", "0"),
                List.of("temperature", "|", "generate", "--model", "M", "--tokens", "1", "--temperature", "-1"),
                List.of("top", "|", "generate", "--model", "M", "--tokens", "1", "--top-p", "2"),
                List.of("tokenizer", "|", "generate", "--model", "M", "--prompt", "hi"),
                List.of("tokenizer", "|", "detokenize", "--model", "M", "--tokens", "1"),
                List.of("--tokens", "|", "logits", "--model", "M", "--tokens"),
                List.of("huge", "|", "random-model", "--shape", "huge", "--out", "OUT"),
                List.of("q8_0", "|", "random-model", "--shape", "tiny", "--out", "OUT", "--dtype", "q8_0"),
                List.of("already exists", "|", "quantize", "--model", "M", "--out", "M2"),
                List.of("xml", "|", "bench", "--random", "tiny", "-o", "xml"),
                List.of(">= 0", "|", "bench", "--random", "tiny", "-p", "-1"),
                List.of("does not exist", "|", "perplexity", "--model", "M", "--file", "/nonexistent/text.txt"),
                List.of("/nonexistent/results.json does not exist", "|", "report", "/nonexistent/results.json"),
                List.of("/proc/bloomj-none does not exist", "|", "random-model", "--shape", "tiny", "--out", "/proc/bloomj-none/x"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void exitTwoAndOneLine(List<String> row) throws IOException {
        String expected = row.getFirst();
        String[] args = row.subList(2, row.size()).stream()
                .map(a -> a.equals("M") ? model : a.equals("M2") ? model : a.equals("OUT") ? tmp.resolve("out").toString() : a)
                .toArray(String[]::new);
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        String e = err.toString().strip();
        assertEquals(Main.EXIT_BAD_INPUT, code, String.join(" ", args) + " -> " + e);
        assertEquals(1, e.lines().count(), String.join(" ", args) + ": one line, got:\n" + e);
        assertTrue(e.startsWith("bloomj: "), e);
        assertTrue(e.contains(expected), String.join(" ", args) + ": '" + e + "' should name '" + expected + "'");
        assertTrue(!Files.exists(tmp.resolve("out")), "nothing written");
    }
}
