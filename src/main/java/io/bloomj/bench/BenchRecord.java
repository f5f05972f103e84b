package io.bloomj.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One {@code bloomj bench} test result with llama-bench's fields (so existing llama-bench tooling
 * reads it) followed by bloomj's own: median, time to first token, bandwidth roofline, peak memory.
 * Field order is the output order of every format.
 */
public record BenchRecord(Map<String, Object> fields) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Everything that describes the run, shared by its tests. */
    /**
     * {@code cpuFeatures}: the CPU's instruction sets that decide kernel speed (avx2 fma avx512f avx512_bf16 amx_bf16 ...);
     * {@code prefillGemm}: what ran prompt rows' matmuls ({@code exact}, or the native bf16 GEMM of {@code --matmul bf16}).
     */
    public record Run(String buildCommit, String cpuInfo, String cpuFeatures, String device, String backend, String modelFilename,
                      String modelType, long modelSize, long modelParams, int nBatch, int nThreads, String jvm, String bandwidthKind,
                      double bandwidthBytesPerSecond, String prefillGemm) {}

    public static BenchRecord of(Run run, ThroughputBench.Result r, long weightBytesPerToken, long peakHost, long peakDevice,
                                 String testTime) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("build_commit", run.buildCommit());
        f.put("cpu_info", run.cpuInfo());
        f.put("gpu_info", run.device());
        f.put("backends", run.backend());
        f.put("model_filename", run.modelFilename());
        f.put("model_type", run.modelType());
        f.put("model_size", run.modelSize());
        f.put("model_n_params", run.modelParams());
        f.put("n_batch", run.nBatch());
        f.put("n_threads", run.nThreads());
        f.put("n_prompt", r.nPrompt());
        f.put("n_gen", r.nGen());
        f.put("n_depth", r.nDepth());
        f.put("n_parallel", r.nParallel());
        f.put("test_time", testTime);
        double[] ns = new double[r.seconds().length];
        for (int i = 0; i < ns.length; i++) ns[i] = r.seconds()[i] * 1e9;
        f.put("avg_ns", Math.round(Stats.mean(ns)));
        f.put("stddev_ns", Math.round(Stats.stddev(ns)));
        f.put("avg_ts", r.mean());
        f.put("stddev_ts", r.stddev());
        f.put("samples_ns", toLongs(ns));
        f.put("samples_ts", r.tokensPerSecond());
        // bloomj's own fields
        f.put("test", r.test());
        f.put("cpu_features", run.cpuFeatures());
        f.put("matmul", run.prefillGemm());
        f.put("median_ts", r.median());
        f.put("time_to_first_token_ms", r.nPrompt() > 0 ? Stats.median(r.seconds()) * 1e3 : Double.NaN);
        f.put("bandwidth", run.bandwidthKind());
        f.put("bandwidth_gb_per_second", run.bandwidthBytesPerSecond() / 1e9);
        f.put("per_sequence_ts", r.median() / r.nParallel());
        // A batched step reads the weights once for all its sequences.
        double weightRate = r.nGen() > 0 ? r.median() / r.nParallel() * weightBytesPerToken : Double.NaN;
        f.put("weight_gb_per_second", weightRate / 1e9);
        f.put("bandwidth_fraction", weightRate / run.bandwidthBytesPerSecond());
        f.put("peak_host_bytes", peakHost);
        f.put("peak_device_bytes", peakDevice);
        f.put("jvm", run.jvm());
        return new BenchRecord(f);
    }

    private static long[] toLongs(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Math.round(v[i]);
        return out;
    }

    public String test() {
        return (String) fields.get("test");
    }

    public double get(String name) {
        return ((Number) fields.get(name)).doubleValue();
    }

    /** One JSON object on one line ({@code NaN} becomes null). */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        fields.forEach((k, v) -> {
            switch (v) {
                case String s -> o.put(k, s);
                case Integer i -> o.put(k, i);
                case Long l -> o.put(k, l);
                case Double d when d.isNaN() || d.isInfinite() -> o.putNull(k);
                case Double d -> o.put(k, d);
                case double[] a -> {
                    ArrayNode arr = o.putArray(k);
                    for (double x : a) arr.add(x);
                }
                case long[] a -> {
                    ArrayNode arr = o.putArray(k);
                    for (long x : a) arr.add(x);
                }
                default -> o.put(k, String.valueOf(v));
            }
        });
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static String csvHeader(BenchRecord any) {
        return String.join(",", any.fields.keySet());
    }

    /** A CSV row; every value quoted as llama-bench does, arrays space-separated. */
    public String toCsv() {
        StringBuilder sb = new StringBuilder();
        for (Object v : fields.values()) {
            String s = switch (v) {
                case double[] a -> join(a);
                case long[] a -> join(a);
                case Double d when d.isNaN() -> "";
                default -> String.valueOf(v);
            };
            sb.append(sb.isEmpty() ? "" : ",").append('"').append(s.replace("\"", "\"\"")).append('"');
        }
        return sb.toString();
    }

    private static String join(double[] a) {
        StringBuilder sb = new StringBuilder();
        for (double x : a) sb.append(sb.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.6f", x));
        return sb.toString();
    }

    private static String join(long[] a) {
        StringBuilder sb = new StringBuilder();
        for (long x : a) sb.append(sb.isEmpty() ? "" : " ").append(x);
        return sb.toString();
    }

    /** The Markdown table of a run (llama-bench's columns plus the roofline). */
    public static String markdown(List<BenchRecord> records) {
        StringBuilder sb = new StringBuilder();
        sb.append("| model | size | params | backend | threads | test | t/s | median t/s | weights GB/s | of bandwidth | TTFT ms |\n");
        sb.append("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (BenchRecord r : records) {
            Map<String, Object> f = r.fields;
            double frac = r.get("bandwidth_fraction");
            double ttft = r.get("time_to_first_token_ms");
            sb.append(String.format(Locale.ROOT, "| %s | %.2f GiB | %.2f B | %s | %d | %s | %.2f ± %.2f | %.2f | %s | %s | %s |%n",
                    f.get("model_type"), ((Number) f.get("model_size")).longValue() / (double) (1L << 30),
                    ((Number) f.get("model_n_params")).longValue() / 1e9, f.get("backends"), f.get("n_threads"), r.test(),
                    r.get("avg_ts"), r.get("stddev_ts"), r.get("median_ts"),
                    Double.isNaN(frac) ? "" : String.format(Locale.ROOT, "%.1f", r.get("weight_gb_per_second")),
                    Double.isNaN(frac) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * frac),
                    Double.isNaN(ttft) ? "" : String.format(Locale.ROOT, "%.1f", ttft)));
        }
        return sb.toString();
    }
}
