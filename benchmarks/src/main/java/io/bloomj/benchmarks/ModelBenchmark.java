package io.bloomj.benchmarks;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.Session;
import io.bloomj.tensor.DType;
import io.bloomj.model.ModelShape;
import io.bloomj.model.RandomCheckpointWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Whole-model steps on random checkpoints with the real dimensions (tiny, bloom-560m, bloomz-3b):
 * one decode step (greedy, the device returns one token id) and a 128-token prefill. {@code bytes}
 * per decode step is every weight once, so its rate over BandwidthBenchmark's is the roofline fraction.
 * The checkpoint is written to a temporary folder in setup (the 3b shape writes 6 GB).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ModelBenchmark {
    static final int CONTEXT = 1024;
    static final int PREFILL = 128;

    @Param({"cpu", "opencl"})
    public String backend;

    @Param({"tiny", "560m", "3b"})
    public String shape;

    @Param({"bf16"})
    public String dtype;

    @Param({"0"})
    public int threads;

    private Path dir;
    private BloomModel model;
    private Session decode;
    private int[] prompt;
    private int next;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("bloomj-jmh-");
        ModelShape s = ModelShape.fromCli(shape);
        RandomCheckpointWriter.write(s.config(), DType.fromCli(dtype), 1, dir.resolve("model"), b -> { });
        int t = threads > 0 ? threads : io.bloomj.compute.Backends.defaultThreads();
        model = Bloom.load(dir.resolve("model"), LoadOptions.defaults().withBackend(backend).withThreads(t).withContextLength(CONTEXT));
        decode = model.newSession(CONTEXT);
        prompt = new int[PREFILL];
        for (int i = 0; i < PREFILL; i++) prompt[i] = (i * 7919) % s.config().vocabSize();
        next = s.config().bosTokenId();
    }

    @Benchmark
    public int decodeStep(Counters c) {
        if (decode.length() == CONTEXT) decode.reset();
        next = decode.appendGreedy(next);
        c.bytes += model.weightBytesPerToken();
        return next;
    }

    @Benchmark
    public int prefill128(Counters c) {
        try (Session s = model.newSession(PREFILL)) {
            c.flops += 2L * model.config().parameterCount() * PREFILL;
            return s.appendGreedy(prompt);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        decode.close();
        model.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
