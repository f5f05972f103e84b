package io.bloomj.cli;

import io.bloomj.BloomjException;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;
import io.bloomj.compute.MatmulMode;
import io.bloomj.bench.BenchRecord;
import io.bloomj.bench.BuildInfo;
import io.bloomj.bench.PeakMemory;
import io.bloomj.bench.ThroughputBench;
import io.bloomj.compute.Bandwidth;
import io.bloomj.tensor.DType;
import io.bloomj.compute.Backends;
import io.bloomj.hub.ModelLocator;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.ModelShape;
import io.bloomj.model.RandomCheckpointWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"llama-bench style throughput: ppN (prefill N tokens), tgN (decode N tokens), optionally after D tokens",
                "of context (ppN@dD, tgN@dD). Warm-up runs are excluded; results are medians and means with spread.",
                "Decode is memory-bound: its weight GB/s is stated as a fraction of the backend's measured bandwidth."})
final class BenchCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--model", paramLabel = "DIR|REPO", description = "Checkpoint folder or Hub repo id.")
        String model;

        @Option(names = "--random", paramLabel = "SHAPE", description = "Random checkpoint of shape tiny, 560m or 3b (written to a temporary folder, deleted after).")
        String random;
    }

    @ArgGroup(multiplicity = "1")
    Source source;

    @Option(names = "--dtype", defaultValue = "bf16", description = "Weights dtype for --random (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--weights", defaultValue = "checkpoint", paramLabel = "checkpoint|q8_0",
            description = "Weight matrices as stored, or q8_0 quantized at load time (the type column says which) (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--matmul", defaultValue = "exact", paramLabel = "exact|bf16",
            description = {"Prompt rows' matmuls: exact (fp32 activations) or bf16 (bf16-rounded activations in oneDNN where the CPU has",
                    "bf16 dot products, as llama.cpp does; otherwise says why and runs exact). The matmul field says which ran (default: ${DEFAULT-VALUE})."})
    String matmul;

    @Option(names = {"-t", "--threads"}, defaultValue = "${sys:bloomj.threads:-0}", description = "CPU threads; 0 = all cores.")
    int threads;

    @Option(names = "--backend", defaultValue = "${sys:bloomj.backend:-cpu}", description = "cpu, opencl or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "${sys:bloomj.device:-0}", description = "Device number for opencl or cuda (see 'bloomj devices').")
    int device;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", split = ",", description = "Prompt sizes of the pp tests, comma-separated; 0 skips (default: ${DEFAULT-VALUE}).")
    List<Integer> nPrompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", split = ",", description = "Generated tokens of the tg tests, comma-separated; 0 skips (default: ${DEFAULT-VALUE}).")
    List<Integer> nGen;

    @Option(names = {"-d", "--depth"}, defaultValue = "0", split = ",", description = "Tokens already in the context before each test, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Integer> depth;

    @Option(names = {"--parallel", "-pl"}, defaultValue = "1", split = ",",
            description = {"Sequences decoded together, comma-separated (llama-batched-bench's -npl): each B > 1 adds a tgN@plB test",
                    "per -n size with B sequences in one batch; t/s is their aggregate, per_sequence_ts a sequence's (default: ${DEFAULT-VALUE})."})
    List<Integer> parallel;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Timed repetitions per test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512", description = "Most prompt tokens per prefill step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--probe-mib", defaultValue = "1024", description = "Size of the bandwidth probe in MiB; 0 skips it (default: ${DEFAULT-VALUE}).")
    int probeMib;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md, json, jsonl or csv (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--profile", description = "After the timed runs, run the first pp and tg test once more with per-kernel timing and print it (md only).")
    boolean profile;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!List.of("md", "json", "jsonl", "csv").contains(output)) throw new BloomjException("--output must be md, json, jsonl or csv, not " + output);
        if (repetitions < 1) throw new BloomjException("--repetitions must be at least 1");
        for (List<Integer> l : List.of(nPrompt, nGen, depth)) for (int v : l) if (v < 0) throw new BloomjException("test sizes must be >= 0");
        for (int b : parallel) if (b < 1 || b > 1024) throw new BloomjException("--parallel values must be in [1, 1024], got " + b);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int t = Backends.threads(threads);

        Path tmp = null;
        Path dir;
        String modelName;
        if (source.random != null) {
            ModelShape shape = ModelShape.fromCli(source.random);
            DType type = CliEnums.dtype(dtype);
            tmp = Files.createTempDirectory("bloomj-bench-");
            dir = tmp.resolve("model");
            BloomConfig c = shape.config();
            Progress progress = new Progress(err, "writing random " + shape.cliName() + " checkpoint", RandomCheckpointWriter.weightBytes(c, type));
            RandomCheckpointWriter.write(c, type, 1, dir, progress);
            progress.done();
            modelName = "random-" + shape.cliName();
        } else {
            dir = ModelLocator.locate(source.model, Progress.listener(err));
            modelName = source.model;
        }
        int maxDepth = depth.stream().max(Integer::compare).orElse(0);
        int maxTest = Math.max(nPrompt.stream().max(Integer::compare).orElse(0), nGen.stream().max(Integer::compare).orElse(0));
        try (BloomModel model = Bloom.load(dir, LoadOptions.defaults().withBackend(backend).withDevice(device).withThreads(t)
                .withBatchSize(batchSize).withContextLength(Math.max(1, maxDepth + maxTest)).withWeights(WeightFormat.fromCli(weights))
                .withMatmul(MatmulMode.fromCli(matmul)), Progress.listener(err))) {
            ModelOptions.reportMatmul(model, err);
            Bandwidth bw = null;
            if (probeMib > 0) {
                err.printf("measuring memory bandwidth (%d MiB)...%n", probeMib);
                err.flush();
                bw = model.measureBandwidth((long) probeMib << 20, 5);
            }
            BenchRecord.Run run = new BenchRecord.Run(BuildInfo.commit(), cpuName(), cpuFeatures(), model.backendDescription(), backend, modelName,
                    String.format(Locale.ROOT, "bloom %.2fB %s", model.config().parameterCount() / 1e9, model.weightDtype()),
                    model.weightBytesPerToken(), model.config().parameterCount(), batchSize, t,
                    System.getProperty("java.vm.name") + " " + Runtime.version(), bw == null ? "" : bw.kind(),
                    bw == null ? Double.NaN : bw.median(), model.prefillGemm());
            List<BenchRecord> records = new ArrayList<>();
            for (int d : depth) {
                for (int p : nPrompt) {
                    if (p == 0) continue;
                    progressLine(err, "pp", p, d);
                    records.add(record(run, model, ThroughputBench.prefill(model, p, d, repetitions)));
                    if (output.equals("jsonl")) print(out, records.getLast());
                }
                for (int n : nGen) {
                    if (n == 0) continue;
                    progressLine(err, "tg", n, d);
                    records.add(record(run, model, ThroughputBench.decode(model, n, d, repetitions)));
                    if (output.equals("jsonl")) print(out, records.getLast());
                }
            }
            for (int b : parallel) {
                if (b == 1) continue;
                for (int n : nGen) {
                    if (n == 0) continue;
                    err.printf("tg%d with %d sequences x %d...%n", n, b, repetitions);
                    err.flush();
                    records.add(record(run, model, ThroughputBench.parallelDecode(model, n, b, repetitions)));
                    if (output.equals("jsonl")) print(out, records.getLast());
                }
            }
            switch (output) {
                case "json" -> {
                    out.println("[");
                    for (int i = 0; i < records.size(); i++) out.println(records.get(i).toJson() + (i < records.size() - 1 ? "," : ""));
                    out.println("]");
                }
                case "csv" -> {
                    if (!records.isEmpty()) out.println(BenchRecord.csvHeader(records.getFirst()));
                    for (BenchRecord r : records) out.println(r.toCsv());
                }
                case "md" -> {
                    out.printf(Locale.ROOT, "machine: %s (%s), %d threads%nbackend: %s%nprompt matmuls: %s%njvm: %s%nbuild: %s%n", run.cpuInfo(),
                            run.cpuFeatures(), t, run.device(), run.prefillGemm(), run.jvm(), run.buildCommit());
                    if (bw != null) {
                        out.printf(Locale.ROOT, "memory bandwidth (%s, %d MiB): min %.1f / median %.1f / max %.1f GB/s%n", bw.kind(),
                                bw.bytes() >> 20, bw.min() / 1e9, bw.median() / 1e9, bw.max() / 1e9);
                    }
                    out.println();
                    out.print(BenchRecord.markdown(records));
                    if (profile) {
                        int p = nPrompt.stream().filter(v -> v > 0).findFirst().orElse(0);
                        int n = nGen.stream().filter(v -> v > 0).findFirst().orElse(0);
                        if (p > 0) ProfileTable.print(out, "pp" + p, ThroughputBench.profilePrefill(model, p), 1, bw);
                        if (n > 0) ProfileTable.print(out, "tg" + n, ThroughputBench.profileDecode(model, n), n, bw);
                    }
                }
                default -> { }
            }
            out.flush();
        } finally {
            if (tmp != null) delete(tmp);
        }
        return 0;
    }

    private BenchRecord record(BenchRecord.Run run, BloomModel model, ThroughputBench.Result r) {
        return BenchRecord.of(run, r, model.weightBytesPerToken(), PeakMemory.hostBytes(), model.peakDeviceMemory(),
                Instant.now().toString());
    }

    private static void print(PrintWriter out, BenchRecord r) {
        out.println(r.toJson());
        out.flush();
    }

    private void progressLine(PrintWriter err, String kind, int n, int d) {
        err.printf("%s%d%s x %d...%n", kind, n, d > 0 ? "@d" + d : "", repetitions);
        err.flush();
    }

    static String cpuName() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    /** Instruction sets that decide how fast a CPU runs the kernels (bloomj's and a peer's), in this order. */
    private static final java.util.List<String> FEATURES = java.util.List.of("sse4_2", "avx", "f16c", "fma", "avx2", "avx512f", "avx512bw",
            "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_bf16", "amx_int8", "asimd", "sve", "bf16", "i8mm");

    /** Those of {@link #FEATURES} this CPU has (from /proc/cpuinfo), space separated; "unknown" where it cannot be read. */
    static String cpuFeatures() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            java.util.Set<String> flags = lines.filter(l -> l.startsWith("flags") || l.startsWith("Features")).findFirst()
                    .map(l -> java.util.Set.of(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))).orElse(java.util.Set.of());
            String found = String.join(" ", FEATURES.stream().filter(flags::contains).toList());
            return found.isEmpty() ? "unknown" : found;
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
