package io.bloomj.compute.cpu;

import io.bloomj.api.BatchGenerator;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.Session;
import io.bloomj.api.WeightFormat;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.RandomCheckpointWriter;
import io.bloomj.tensor.DType;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * The child JVM of {@link SteadyStateAllocationTest}: loads a small random model the way research code
 * does ({@code Bloom.load}, no flags beyond the required modules), runs decode and prefill rounds in
 * each CPU configuration (bf16 in panels, bf16 in place, q8_0, batched decode with sampling) until
 * their kernels are compiled, then measures the bytes every thread allocated during one more round of
 * each. Prints one line per phase: {@code phase <name> <tokens> <bytes>}, then {@code done}.
 *
 * <p>Steady state is reached when a phase's round allocates less than {@link #QUIET_BYTES_PER_TOKEN}
 * per token twice in a row, or when the warm-up budget (argument 2, seconds) is spent; the measured
 * round is then reported whatever it allocates, and the parent judges it. Boxed vector code allocates
 * megabytes per token at these shapes (every fma a new vector and array), so the two are far apart.
 */
public final class SteadyStateProbe {
    static final long QUIET_BYTES_PER_TOKEN = 2048;
    private static final int PROMPT = 24, DECODE = 16, BATCH = 4;

    private SteadyStateProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        double budgetSeconds = Double.parseDouble(args[1]);
        int threads = Integer.parseInt(args[2]);
        if (!Files.exists(dir)) writeModel(dir);
        LoadOptions options = LoadOptions.defaults().withThreads(threads).withContextLength(128);
        List<Phase> phases = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            BloomModel panels = track(open, Bloom.load(dir, options));
            BloomModel inPlace = track(open, Bloom.load(dir, options, CpuBackend.inPlace(threads)));
            BloomModel q8 = track(open, Bloom.load(dir, options.withWeights(WeightFormat.Q8_0)));
            for (var m : List.of(new Named("bf16-panels", panels), new Named("bf16-in-place", inPlace), new Named("q8_0", q8))) {
                Session s = track(open, m.model().newSession());
                phases.add(new Phase(m.name() + "/prefill", () -> prefill(s)));
                phases.add(new Phase(m.name() + "/decode", () -> decode(s)));
            }
            BatchGenerator batch = track(open, panels.newBatchGenerator(BatchOptions.of(BATCH), BatchGenerator.Observer.NONE));
            phases.add(new Phase("bf16-panels/batched-sampled", () -> batched(batch)));

            long deadline = System.nanoTime() + (long) (budgetSeconds * 1e9);
            // warm every phase together (they share the JDK's vector methods, as in one real process)
            int[] quiet = new int[phases.size()];
            while (System.nanoTime() < deadline && !allAtLeast(quiet, 2)) {
                for (int i = 0; i < phases.size(); i++) {
                    Measured m = phases.get(i).measure();
                    quiet[i] = m.bytes() < QUIET_BYTES_PER_TOKEN * m.tokens() ? quiet[i] + 1 : 0;
                }
            }
            for (Phase p : phases) {
                Measured m = p.measure();
                System.out.printf(Locale.ROOT, "phase %s %d %d%n", p.name(), m.tokens(), m.bytes());
            }
            System.out.println("done");
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
        }
    }

    /** One prompt of {@link #PROMPT} tokens from an empty cache (the prefill GEMM path). */
    /** The probe's checkpoint: hidden 256 runs every matmul through the kernels' blocked loops; vocab 4096 gives the LM head many panels. */
    static void writeModel(Path dir) {
        RandomCheckpointWriter.write(BloomConfig.of(4096, 256, 2, 8), DType.BF16, 7, dir, p -> {
        });
    }

    private static int prefill(Session s) {
        s.reset();
        int[] prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) prompt[i] = 3 + i * 37 % 4000;
        s.appendGreedy(prompt);
        return PROMPT;
    }

    /** {@link #DECODE} single-token steps after a short prompt (the weight-streaming GEMV path). */
    private static int decode(Session s) {
        s.reset();
        int next = s.appendGreedy(5, 6, 7);
        for (int i = 0; i < DECODE; i++) next = s.appendGreedy(next);
        return DECODE;
    }

    /** {@link #BATCH} sampled sequences decoded together (batched GEMV rows, the sample kernel). */
    private static int batched(BatchGenerator g) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(DECODE).temperature(0.8f).topK(40).topP(0.9f)
                .seed(11).stopAtEos(false).build();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) all.add(g.submit(new int[] {5 + i, 6, 7}, config, GenerationListener.NONE, null));
        for (var f : all) f.join();
        return BATCH * DECODE;
    }

    private static boolean allAtLeast(int[] counts, int n) {
        for (int c : counts) if (c < n) return false;
        return true;
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> open, T t) {
        open.add(t);
        return t;
    }

    /** Bytes allocated by every live thread of this JVM (the team's workers, the batch thread, main). */
    static long allocatedByAllThreads() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : bean.getThreadAllocatedBytes(bean.getAllThreadIds())) if (b > 0) sum += b;
        return sum;
    }

    private record Named(String name, BloomModel model) {
    }

    private record Measured(int tokens, long bytes) {
    }

    private record Phase(String name, IntSupplier round) {
        Measured measure() {
            long before = allocatedByAllThreads();
            int tokens = round.getAsInt();
            return new Measured(tokens, Math.max(0, allocatedByAllThreads() - before));
        }
    }
}
