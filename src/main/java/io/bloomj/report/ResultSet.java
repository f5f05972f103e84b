package io.bloomj.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Benchmark results read from files: JMH's JSON ({@code -rf json}) and {@code bloomj bench}'s JSON
 * or JSON lines. JMH writes {@code "NaN"} strings for the error of a single iteration; those read as NaN.
 */
public record ResultSet(String name, List<Kernel> kernels, List<Throughput> throughputs) {
    /** A JMH benchmark: its name with parameters, time per operation, and achieved rates. */
    public record Kernel(String benchmark, Map<String, String> params, double score, double error, String unit,
                         double gbPerSecond, double gflops) {
        /** Milliseconds per operation, whatever the mode JMH ran in (throughput scores are inverted). */
        public double msPerOp() {
            String u = unit;
            double perSecond = u.endsWith("/s") ? 1 : u.endsWith("/ms") ? 1e3 : u.endsWith("/us") ? 1e6 : u.endsWith("/ns") ? 1e9 : Double.NaN;
            if (u.startsWith("ops/")) return 1e3 / (score * perSecond);
            return switch (u) {
                case "s/op" -> score * 1e3;
                case "ms/op" -> score;
                case "us/op" -> score / 1e3;
                case "ns/op" -> score / 1e6;
                default -> Double.NaN;
            };
        }

        public String label() {
            int method = benchmark.lastIndexOf('.');
            StringBuilder sb = new StringBuilder(benchmark.substring(benchmark.lastIndexOf('.', method - 1) + 1).replace("Benchmark.", "."));
            params.forEach((k, v) -> sb.append(' ').append(v));
            return sb.toString();
        }
    }

    /**
     * A {@code bloomj bench} test, or a llama-bench one (the same JSON fields, which bloomj bench
     * copies; llama-bench names no test, so it is made from n_prompt / n_gen / n_depth as llama-bench
     * prints it: pp512, tg128, tg128@d2048). {@code engine}: "bloomj" or "llama.cpp".
     * {@code modelBytes}: the weights' size, which with the probe's bandwidth gives a decode roofline.
     * {@code params}: the model's parameter count as the engine states it (NaN if absent).
     */
    public record Throughput(String test, String backend, String device, String model, double tokensPerSecond, double stddev,
                             double weightGbPerSecond, double bandwidthGbPerSecond, double bandwidthFraction, String engine,
                             double modelBytes, double params) {
        /** Tokens/s a decode test could reach streaming the weights once per token at the probe's bandwidth (NaN for prefill or without a probe). */
        public double rooflineTokensPerSecond() {
            return test.startsWith("tg") && bandwidthGbPerSecond > 0 && modelBytes > 0 ? bandwidthGbPerSecond * 1e9 / modelBytes : Double.NaN;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ResultSet read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        List<JsonNode> nodes = new ArrayList<>();
        try {
            String t = text.strip();
            if (t.startsWith("[")) {
                for (JsonNode n : JSON.readTree(t)) nodes.add(n);
            } else {
                for (String line : t.lines().toList()) if (!line.isBlank()) nodes.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            throw new CheckpointException(file, "not a JMH or bloomj bench result file (JSON expected): " + e.getMessage());
        }
        List<Kernel> kernels = new ArrayList<>();
        List<Throughput> tps = new ArrayList<>();
        for (JsonNode n : nodes) {
            if (n.has("benchmark") && n.has("primaryMetric")) kernels.add(kernel(n));
            else if (n.has("avg_ts") && (n.has("test") || n.has("n_prompt"))) tps.add(throughput(n));
            else throw new CheckpointException(file, "an entry is neither a JMH result nor a bloomj bench or llama-bench result: " + abbreviate(n));
        }
        String name = file.getFileName().toString().replaceFirst("\\.(json|jsonl)$", "");
        return new ResultSet(name, kernels, tps);
    }

    private static String abbreviate(JsonNode n) {
        String s = n.toString();
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    static double number(JsonNode n) {
        if (n == null || n.isNull()) return Double.NaN;
        if (n.isNumber()) return n.asDouble();
        try {
            return Double.parseDouble(n.asText());   // JMH's "NaN"
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static Kernel kernel(JsonNode n) {
        Map<String, String> params = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("params").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            params.put(e.getKey(), e.getValue().asText());
        }
        JsonNode pm = n.path("primaryMetric");
        JsonNode sec = n.path("secondaryMetrics");
        return new Kernel(n.path("benchmark").asText(), params, number(pm.get("score")), number(pm.get("scoreError")),
                pm.path("scoreUnit").asText(), rate(sec.get("bytes")) / 1e9, rate(sec.get("flops")) / 1e9);
    }

    /** A JMH auxiliary counter is reported per second (ops/s or ops/ms ...); convert to per second. */
    private static double rate(JsonNode metric) {
        if (metric == null) return Double.NaN;
        double v = number(metric.get("score"));
        String unit = metric.path("scoreUnit").asText("ops/s");
        if (unit.endsWith("/ms")) return v * 1e3;
        if (unit.endsWith("/us")) return v * 1e6;
        if (unit.endsWith("/ns")) return v * 1e9;
        return v;
    }

    private static Throughput throughput(JsonNode n) {
        String test = n.has("test") ? n.path("test").asText() : llamaBenchTest(n);
        // bloomj bench writes its JVM; llama-bench writes its build number and no JVM
        String engine = n.has("jvm") ? "bloomj" : "llama.cpp";
        return new Throughput(test, n.path("backends").asText(), n.path("gpu_info").asText(),
                n.path("model_type").asText(), number(n.get("avg_ts")), number(n.get("stddev_ts")),
                number(n.get("weight_gb_per_second")), number(n.get("bandwidth_gb_per_second")), number(n.get("bandwidth_fraction")), engine,
                number(n.get("model_size")), number(n.get("model_n_params")));
    }

    /** llama-bench's own test name: pp{n_prompt} for prompt tests, tg{n_gen} for generation, @d{n_depth} after a context of that depth. */
    static String llamaBenchTest(JsonNode n) {
        int prompt = n.path("n_prompt").asInt(0), gen = n.path("n_gen").asInt(0), depth = n.path("n_depth").asInt(0);
        String t = gen == 0 ? "pp" + prompt : prompt == 0 ? "tg" + gen : "pg" + prompt + "," + gen;
        return depth > 0 ? t + "@d" + depth : t;
    }
}
