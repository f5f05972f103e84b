package io.bloomj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.engine.Sampler;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.SafetensorsReader;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line, run in-process: outputs, JSON fields, exit codes and one-line errors. */
class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Path tiny() throws IOException {
        Path dir = tmp.resolve("tiny");
        TinyBloom.standard().writeTo(dir);
        return dir;
    }

    @Test
    void logitsPrintsLastPositionLogitsAndArgmaxPerPosition() throws IOException {
        Path dir = tiny();
        Result r = run("logits", "--model", dir.toString(), "--tokens", "1,5,9", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode json = JSON.readTree(r.out());
        assertEquals(96, json.get("logits").size());
        assertEquals(3, json.get("argmax").size());
        try (BloomModel m = Bloom.load(dir, LoadOptions.defaults().withThreads(1))) {
            float[] expected = m.logits(new int[] {1, 5, 9});
            for (int v = 0; v < expected.length; v++) assertEquals(expected[v], json.get("logits").get(v).floatValue(), 1e-5);
            float[][] all = m.logitsPerPosition(new int[] {1, 5, 9});
            for (int p = 0; p < 3; p++) assertEquals(Sampler.argmax(all[p]), json.get("argmax").get(p).asInt());
        }
    }

    @Test
    void generateJsonCarriesTokensAndTimings() throws IOException {
        Path dir = tiny();
        Result r = run("generate", "--model", dir.toString(), "--tokens", "1,5,9", "--max-new-tokens", "6", "--temperature", "0", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = JSON.readTree(r.out());
        int generated = json.get("generated_tokens").asInt();
        assertEquals(generated, json.get("tokens").size());
        assertTrue(generated >= 1 && generated <= 6);
        String reason = json.get("finish_reason").asText();
        assertTrue(reason.equals("length") ? generated == 6 : reason.equals("eos") && json.get("tokens").get(generated - 1).asInt() == 2, reason);
        assertEquals(3, json.get("prompt_tokens").asInt());
        assertTrue(json.get("time_to_first_token_ms").asDouble() > 0);
        assertTrue(json.get("prefill_tokens_per_second").asDouble() > 0);
        assertTrue(json.has("decode_tokens_per_second"));
        try (BloomModel m = Bloom.load(dir, LoadOptions.defaults())) {
            int[] expected = m.generate(new int[] {1, 5, 9}, 6).tokens();
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], json.get("tokens").get(i).asInt());
        }
    }

    @Test
    void generateStreamsIdsWithoutJson() throws IOException {
        Result r = run("generate", "--model", tiny().toString(), "--tokens", "1,5,9", "-n", "4", "--ignore-eos");
        assertEquals(0, r.code(), r.err());
        assertEquals(4, r.out().trim().split(",").length, r.out());
        assertTrue(r.err().contains("finish: length"), r.err());
    }

    @Test
    void infoDescribesTheModel() throws IOException {
        Result r = run("info", "--model", tiny().toString(), "--json", "--context-length", "100");
        assertEquals(0, r.code(), r.err());
        JsonNode json = JSON.readTree(r.out());
        assertEquals(6, json.get("n_head").asInt());
        assertEquals(8, json.get("head_dim").asInt());
        long params = json.get("parameters").asLong();
        // 2 layers of (12h^2 + 13h) + embeddings V*h + 4h for the two non-layer norms
        long h = 48, v = 96;
        assertEquals(v * h + 4 * h + 2 * (12 * h * h + 13 * h), params);
        assertEquals(params * 2, json.get("weight_bytes").asLong());
        assertEquals(2L * 2 * 100 * h * 4, json.get("kv_cache_bytes").asLong());
        String text = run("info", "--model", tiny().getParent().resolve("tiny").toString()).out();
        assertTrue(text.contains("6 heads of 8"), text);
        // the CPU backend's copy of the bf16 matrices is announced with its size whenever it will be made
        boolean panels = text.contains("bf16 matrices in panels");
        assertEquals(panels, text.contains("cpu copy     bf16 matrices repacked into panels"), text);
        assertEquals(panels ? json.get("weight_bytes").asLong() : 0, json.get("cpu_panel_bytes").asLong());
    }

    @Test
    void badThreadCountsAndWeightFormatsAreOneLineErrors() throws IOException {
        Path dir = tiny();
        for (String[] args : new String[][] {
                {"info", "--model", dir.toString(), "--threads", "-1"},
                {"info", "--model", dir.toString(), "--threads", "100000"},
                {"info", "--model", dir.toString(), "--weights", "q4_0"},
                {"random-model", "--shape", "tiny", "--out", tmp.resolve("x").toString(), "--dtype", "q8_0"}}) {
            Result r = run(args);
            assertEquals(Main.EXIT_BAD_INPUT, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("bloomj: "), r.err());
        }
        Result q8 = run("info", "--model", dir.toString(), "--weights", "q8_0", "--json");
        assertEquals(0, q8.code(), q8.err());
        JsonNode json = JSON.readTree(q8.out());
        assertEquals("Q8_0", json.get("weight_dtype").asText());
        assertEquals(json.get("weight_bytes_q8_0").asLong(), json.get("weight_bytes").asLong());
        assertTrue(json.get("weight_bytes").asLong() < 0.6 * json.get("weight_bytes_bf16").asLong(), q8.out());
    }

    /** max_new_tokens of 2^31 - 1 used to overflow the session size; the answer ends at the context instead. */
    @Test
    void aHugeMaxNewTokensEndsAtTheContext() throws IOException {
        Result r = run("generate", "--model", tiny().toString(), "--tokens", "1,2", "-n", "2147483647", "-c", "8", "--ignore-eos", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = JSON.readTree(r.out());
        assertEquals("context", json.get("finish_reason").asText());
        assertEquals(7, json.get("generated_tokens").asInt());
    }

    @Test
    void messagesNameTheProblem() throws IOException {
        Result unknown = run("frobnicate");
        assertEquals(Main.EXIT_BAD_INPUT, unknown.code());
        assertTrue(unknown.err().contains("(see 'bloomj --help')"), unknown.err());
        Path dir = tiny();
        Result missing = run("perplexity", "--model", dir.toString(), "--file", tmp.resolve("nope.txt").toString());
        assertEquals(Main.EXIT_BAD_INPUT, missing.code());
        assertTrue(missing.err().contains("nope.txt does not exist"), missing.err());
        Path latin1 = tmp.resolve("latin1.txt");
        java.nio.file.Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Result binary = run("perplexity", "--model", dir.toString(), "--file", latin1.toString());
        assertEquals(Main.EXIT_BAD_INPUT, binary.code());
        assertTrue(binary.err().contains("is not UTF-8 text"), binary.err());
        java.nio.file.Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', (byte) 0xE9, '}'});
        Result tok = run("tokenize", "--model", dir.toString(), "--text", "hi");
        assertEquals(Main.EXIT_BAD_INPUT, tok.code());
        assertTrue(tok.err().contains("tokenizer.json is not UTF-8 text"), tok.err());
        for (Result r : List.of(unknown, missing, binary, tok)) assertTrue(r.err().startsWith("bloomj: "), r.err());
    }

    @Test
    void randomModelWritesALoadableCheckpointAndNeverOverwrites() throws IOException {
        Path out = tmp.resolve("random");
        Result r = run("random-model", "--shape", "tiny", "--out", out.toString(), "--dtype", "f16", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        // The file holds a BLOOM the independent reference reads back: the tiny shape, in f16, and the
        // engine's logits of it agree with the reference's.
        TinyBloom tinyShape = new TinyBloom(4096, 128, 2, 8, "F16", false, true, false, 1, 0);
        ReferenceBloom reference = new ReferenceBloom(tinyShape, SafetensorsReader.read(out.resolve("model.safetensors")));
        int[] tokens = {1, 2, 3, 4000};
        double[] expected = reference.logits(tokens)[tokens.length - 1];
        try (BloomModel m = Bloom.load(out, LoadOptions.defaults().withThreads(2))) {
            assertEquals(128, m.config().hiddenSize());
            float[] logits = m.logits(tokens);
            double spread = 0;
            for (int v = 0; v < expected.length; v++) {
                assertEquals(expected[v], logits[v], 1e-3 * (1 + Math.abs(expected[v])), "token " + v);
                spread = Math.max(spread, Math.abs(expected[v]));
            }
            assertTrue(spread > 0.1, "logits of a random model are not all ~0: " + spread);
        }
        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        Result again = run("random-model", "--shape", "tiny", "--out", out.toString(), "--seed", "4");
        assertEquals(Main.EXIT_BAD_INPUT, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(out.resolve("model.safetensors"))));
        try (var leftovers = Files.list(tmp)) {
            assertEquals(1, leftovers.count(), "no temporary folder is left behind");
        }
    }

    @Test
    void badInputGivesOneLineAndNonZeroExit() throws IOException {
        Path dir = tiny();
        String[][] cases = {
                {"logits", "--model", tmp.resolve("absent").toString(), "--tokens", "1"},
                {"logits", "--model", dir.toString(), "--tokens", "1,x"},
                {"logits", "--model", dir.toString(), "--tokens", "1,96"},
                {"generate", "--model", dir.toString(), "--tokens", "1,2,3,4,5", "--context-length", "4"},
                {"generate", "--model", dir.toString(), "--tokens", "1", "--temperature", "-1"},
                {"logits", "--model", dir.toString(), "--tokens", "1", "--backend", "quantum"},
                {"random-model", "--shape", "7b", "--out", tmp.resolve("x").toString()},
        };
        String[] expected = {"model folder not found", "'x' is not one", "outside the vocabulary", "does not fit the context of 4",
                "temperature", "unknown backend 'quantum'", "unknown shape '7b'"};
        for (int i = 0; i < cases.length; i++) {
            Result r = run(cases[i]);
            assertEquals(Main.EXIT_BAD_INPUT, r.code(), String.join(" ", cases[i]) + ": " + r.err());
            assertTrue(r.err().contains(expected[i]), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
        Result verbose = run("logits", "--model", dir.toString(), "--tokens", "1,96", "--verbose");
        assertTrue(verbose.err().contains("\tat "), "--verbose adds the stack trace");
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"info", "logits", "generate", "random-model", "bench"}) {
            Result r = run(cmd, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage: bloomj " + cmd), r.out());
        }
    }

    @Test
    void benchProducesEveryFormatWithTheLlamaBenchFields() throws IOException {
        String[] base = {"bench", "--random", "tiny", "-p", "8", "-n", "4", "-d", "0,6", "-r", "2", "--probe-mib", "16", "-t", "1"};
        Result json = run(concat(base, "-o", "json"));
        assertEquals(0, json.code(), json.err());
        JsonNode arr = JSON.readTree(json.out());
        assertEquals(4, arr.size());
        assertEquals(List.of("pp8", "tg4", "pp8@d6", "tg4@d6"), List.of(arr.get(0).get("test").asText(), arr.get(1).get("test").asText(),
                arr.get(2).get("test").asText(), arr.get(3).get("test").asText()));
        for (String field : List.of("build_commit", "cpu_info", "gpu_info", "backends", "model_size", "model_n_params", "n_prompt",
                "n_gen", "n_depth", "avg_ts", "stddev_ts", "samples_ts", "samples_ns", "avg_ns", "test_time", "median_ts",
                "time_to_first_token_ms", "bandwidth_gb_per_second", "bandwidth_fraction", "peak_host_bytes", "peak_device_bytes", "cpu_features")) {
            assertTrue(arr.get(1).has(field), "missing " + field + " in " + arr.get(1));
        }
        // the instruction sets that decide the kernels' speed are named (x86 machines have at least sse4_2 or avx)
        String features = arr.get(1).get("cpu_features").asText();
        assertTrue(!features.isBlank() && (features.equals("unknown") || features.matches("[a-z0-9_ ]+")), features);
        assertEquals(2, arr.get(1).get("samples_ts").size());
        assertEquals(6, arr.get(2).get("n_depth").asInt());
        assertTrue(arr.get(1).get("bandwidth_fraction").asDouble() > 0);
        assertTrue(arr.get(0).get("time_to_first_token_ms").asDouble() > 0);

        Result jsonl = run(concat(base, "-o", "jsonl"));
        assertEquals(4, jsonl.out().strip().lines().count());
        for (String line : jsonl.out().strip().lines().toList()) assertTrue(JSON.readTree(line).has("avg_ts"));

        Result csv = run(concat(base, "-o", "csv"));
        List<String> rows = csv.out().strip().lines().toList();
        assertEquals(5, rows.size());
        assertTrue(rows.getFirst().startsWith("build_commit,cpu_info,gpu_info,backends"), rows.getFirst());
        assertEquals(rows.getFirst().split(",").length, rows.get(1).split("\",\"").length);

        Result md = run(concat(base, "-o", "md"));
        assertTrue(md.out().contains("| model | size | params | backend | threads | test | t/s |"), md.out());
        assertTrue(md.out().contains("tg4@d6") && md.out().contains("memory bandwidth (host read"), md.out());
    }

    @Test
    void matmulModeIsNamedInBenchAndDevicesAndAFallbackSaysWhy() throws IOException {
        Result md = run("bench", "--random", "tiny", "-p", "8", "-n", "2", "-r", "1", "--probe-mib", "0", "-t", "1", "--matmul", "bf16");
        assertEquals(0, md.code(), md.err());
        JsonNode cpu = JSON.readTree(run("devices", "--json").out().lines().filter(l -> l.contains("\"backend\":\"cpu\"")).findFirst().orElseThrow());
        String bf16 = cpu.get("matmul_bf16").asText();
        if (bf16.startsWith("unavailable: ")) {
            String why = bf16.substring("unavailable: ".length());
            assertTrue(md.out().contains("prompt matmuls: exact"), md.out());
            assertTrue(md.err().contains("bloomj: --matmul bf16 falls back to the exact matmuls: " + why), md.err());
        } else {
            assertEquals("available", bf16);
            assertTrue(md.out().contains("prompt matmuls: oneDNN"), md.out());
            assertFalse(md.err().contains("falls back"), md.err());
        }
        Result json = run("bench", "--random", "tiny", "-p", "8", "-n", "0", "-r", "1", "--probe-mib", "0", "-t", "1", "-o", "json");
        assertEquals("exact", JSON.readTree(json.out()).get(0).get("matmul").asText());
        Result bad = run("logits", "--model", tiny().toString(), "--tokens", "1,5", "--matmul", "int4");
        assertEquals(2, bad.code());
        assertTrue(bad.err().strip().equals("bloomj: unknown matmul mode 'int4'; use exact or bf16"), bad.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
