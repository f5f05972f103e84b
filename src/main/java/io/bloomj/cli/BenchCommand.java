package io.bloomj.cli;

import io.bloomj.BloomjException;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.bench.BandwidthProbe;
import io.bloomj.bench.ThroughputBench;
import io.bloomj.compute.DType;
import io.bloomj.compute.Profile;
import io.bloomj.compute.cpu.CpuBackend;
import io.bloomj.hub.ModelLocator;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.ModelShape;
import io.bloomj.model.RandomCheckpointWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure memory read bandwidth, prefill (ppN) and decode (tgN) throughput, llama-bench style.",
                "Decode is memory-bound: its GB/s of weights is reported as a fraction of the measured bandwidth."})
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

    @Option(names = {"-t", "--threads"}, defaultValue = "${sys:bloomj.threads:-0}", description = "CPU threads; 0 = all cores.")
    int threads;

    @Option(names = "--backend", defaultValue = "${sys:bloomj.backend:-cpu}", description = "cpu or opencl (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "0", description = "Device number for opencl (see 'bloomj devices').")
    int device;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "128", description = "Prompt tokens of the pp test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "32", description = "Generated tokens of the tg test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int nGen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Timed repetitions per test (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--probe-mib", defaultValue = "1024", description = "Size of the bandwidth probe buffer in MiB; 0 skips the probe (default: ${DEFAULT-VALUE}).")
    int probeMib;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--profile", description = "After the timed runs, decode once more with per-op timing and print it.")
    boolean profile;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!output.equals("md") && !output.equals("json")) throw new BloomjException("--output must be md or json, not " + output);
        if (repetitions < 1) throw new BloomjException("--repetitions must be at least 1");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int t = threads > 0 ? threads : CpuBackend.defaultThreads();

        BandwidthProbe.Result probe = null;
        if (probeMib > 0) {
            err.printf("measuring memory read bandwidth (%d MiB, %d threads)...%n", probeMib, t);
            err.flush();
            probe = BandwidthProbe.measure((long) probeMib << 20, t, 5);
        }
        Path tmp = null;
        Path dir = source.model == null ? null : ModelLocator.locate(source.model, Progress.listener(err));
        String modelName = source.model;
        if (source.random != null) {
            ModelShape shape = ModelShape.fromCli(source.random);
            DType type = CliEnums.dtype(dtype);
            tmp = Files.createTempDirectory("bloomj-bench-");
            dir = tmp.resolve("model");
            BloomConfig c = shape.config();
            Progress progress = new Progress(err, "writing random " + shape.cliName() + " checkpoint", RandomCheckpointWriter.weightBytes(c, type));
            RandomCheckpointWriter.write(c, type, 1, dir, progress);
            progress.done();
            modelName = "random-" + shape.cliName() + "-" + type.name().toLowerCase(Locale.ROOT);
        }
        try (BloomModel model = Bloom.load(dir, LoadOptions.defaults().withBackend(backend).withDevice(device).withThreads(t)
                .withContextLength(Math.max(1, Math.max(nPrompt, nGen))), Progress.listener(err))) {
            List<ThroughputBench.Result> results = new ArrayList<>();
            if (nPrompt > 0) {
                err.printf("pp%d x %d...%n", nPrompt, repetitions);
                err.flush();
                results.add(ThroughputBench.prefill(model, nPrompt, repetitions));
            }
            if (nGen > 0) {
                err.printf("tg%d x %d...%n", nGen, repetitions);
                err.flush();
                results.add(ThroughputBench.decode(model, nGen, repetitions));
            }
            report(out, model, modelName, t, probe, results);
            if (profile && nPrompt > 0) ProfileTable.print(out, "pp" + nPrompt, ThroughputBench.profilePrefill(model, nPrompt), 1, probe);
            if (profile && nGen > 0) ProfileTable.print(out, "tg" + nGen, ThroughputBench.profileDecode(model, nGen), nGen, probe);
        } finally {
            if (tmp != null) delete(tmp);
        }
        return 0;
    }

    private void report(PrintWriter out, BloomModel model, String name, int t, BandwidthProbe.Result probe,
                        List<ThroughputBench.Result> results) {
        long bytesPerToken = model.weightBytesPerToken();
        String cpu = cpuName();
        if (output.equals("json")) {
            out.println("[");
            for (int i = 0; i < results.size(); i++) {
                ThroughputBench.Result r = results.get(i);
                Json j = new Json(out);
                j.field("model_type", name).field("model_size", bytesPerToken).field("model_n_params", model.config().parameterCount())
                        .field("backends", backend).field("device", model.backendDescription()).field("cpu_info", cpu).field("n_threads", t)
                        .field("n_prompt", r.nPrompt()).field("n_gen", r.nGen()).field("n_depth", 0).field("test", r.test())
                        .field("avg_ts", r.mean()).field("stddev_ts", r.stddev()).field("median_ts", r.median())
                        .field("samples_ts", r.tokensPerSecond())
                        .field("java_version", Runtime.version().toString());
                if (r.nGen() > 0) {
                    j.field("weight_gb_per_second", r.median() * bytesPerToken / 1e9);
                    if (probe != null) j.field("bandwidth_fraction", r.median() * bytesPerToken / probe.median());
                }
                if (probe != null) j.field("probe_read_gb_per_second", probe.median() / 1e9);
                j.close();
                if (i < results.size() - 1) out.println(",");
            }
            out.println("]");
            return;
        }
        out.printf(Locale.ROOT, "machine: %s, %d threads%nbackend: %s%n", cpu, t, model.backendDescription());
        out.printf(Locale.ROOT, "jvm: %s %s%n", System.getProperty("java.vm.name"), Runtime.version());
        if (probe != null) {
            out.printf(Locale.ROOT, "memory read bandwidth (%d MiB probe, %d threads): min %.1f / median %.1f / max %.1f GB/s%n",
                    probe.bytes() >> 20, probe.threads(), probe.min() / 1e9, probe.median() / 1e9, probe.max() / 1e9);
        }
        out.println();
        out.println("| model | size | params | backend | threads | test | t/s (median) | t/s (mean ± sd) | weights GB/s | of bandwidth |");
        out.println("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: |");
        for (ThroughputBench.Result r : results) {
            String gbs = "", frac = "";
            if (r.nGen() > 0) {
                double rate = r.median() * bytesPerToken;
                gbs = String.format(Locale.ROOT, "%.1f", rate / 1e9);
                if (probe != null) frac = String.format(Locale.ROOT, "%.0f%%", 100 * rate / probe.median());
            }
            out.printf(Locale.ROOT, "| %s | %s | %.2f B | %s | %d | %s | %.2f | %.2f ± %.2f | %s | %s |%n", name, Sizes.bytes(bytesPerToken),
                    model.config().parameterCount() / 1e9, backend, t, r.test(), r.median(), r.mean(), r.stddev(), gbs, frac);
        }
        out.flush();
    }

    private static String cpuName() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
