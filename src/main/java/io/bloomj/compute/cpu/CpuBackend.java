package io.bloomj.compute.cpu;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MatmulMode;
import io.bloomj.compute.Op;
import io.bloomj.compute.SharedIntermediates;
import io.bloomj.compute.cpu.onednn.OneDnnGemm;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pure-Java backend: Vector API kernels on a fixed {@link ThreadTeam}. bf16 matrices are
 * repacked once, when the first plan needs them, into {@link MatmulPanels} (outputs across the
 * vector lanes: outer products for one row, a batch and a prompt alike, 1.2-1.7x the speed of
 * reading the checkpoint's rows where rows share a step), after checking the copy fits in the
 * memory available; without it, or with {@link #inPlace}, they are read straight from the mapped
 * checkpoint. Everything else is read in place (the small 1-D parameters widened to fp32 once).
 * Plans created from it share the team, so run one plan at a time per backend.
 * With {@link MatmulMode#BF16} (and oneDNN and bf16 instructions present) prompt rows' bf16
 * matmuls go to {@link OneDnnGemm} instead.
 */
public final class CpuBackend implements Backend {
    private final ThreadTeam team;
    /** Biases and LayerNorm parameters widened to fp32, shared by every plan. */
    private final Map<Weight, float[]> vectors = new ConcurrentHashMap<>();
    /** Intermediates shared by every plan. */
    private final SharedIntermediates<float[]> shared = new SharedIntermediates<>();

    /** bf16 matrices repacked into {@link MatmulPanels}, by weight, shared by every plan. */
    private final Map<Weight, MemorySegment> panels = new ConcurrentHashMap<>();
    private final Arena panelMemory = Arena.ofShared();
    /** Whether bf16 matrices are repacked into panels (else read in place from the mapping). */
    private final boolean repack;
    /** Why bf16 matrices are read in place although repacking was wanted (not enough memory), or null. */
    private volatile String inPlaceReason;
    private final ProgressListener progress;

    /** The native GEMM for prompt rows of {@link #gemmType} weights, or null (exact path). */
    private final OneDnnGemm gemm;
    private final DType gemmType;
    /** Why {@link MatmulMode#BF16} was asked and not honoured, or null. */
    private final String matmulFallback;

    public CpuBackend(int threads) {
        this(threads, MatmulMode.EXACT);
    }

    public CpuBackend(int threads, MatmulMode matmul) {
        this(threads, matmul, REPACK, ProgressListener.NONE);
    }

    /**
     * A backend that reads bf16 matrices where they are mapped instead of repacking them into panels:
     * half the memory (no copy of the weights) for slower batched decoding and prefill. Also what
     * runs when the copy does not fit in the memory available.
     */
    public static CpuBackend inPlace(int threads) {
        return new CpuBackend(threads, MatmulMode.EXACT, false, ProgressListener.NONE);
    }

    /** System property {@code bloomj.cpu.repack=false}: read bf16 matrices in place ({@link #inPlace}). */
    static final boolean REPACK = !"false".equals(System.getProperty("bloomj.cpu.repack"));

    /**
     * @param repack   whether bf16 matrices are repacked into panels when a plan first needs them
     * @param progress receives the repacking's progress (bytes)
     */
    public CpuBackend(int threads, MatmulMode matmul, boolean repack, ProgressListener progress) {
        this(new ThreadTeam(threads), repack, progress, matmul == MatmulMode.BF16 ? DType.BF16 : null, true);
    }

    /**
     * Prompt rows of {@code type} weights through oneDNN whatever the CPU: with F32 this checks the
     * native path of {@link CpuPlan} on machines that have no bf16 matmul (tests). Throws when oneDNN cannot.
     */
    CpuBackend(int threads, DType type) {
        this(new ThreadTeam(threads), REPACK, ProgressListener.NONE, type, false);
    }

    /**
     * @param gemmType  the weights whose prompt rows go to oneDNN, or null for none
     * @param fallBack  whether a GEMM oneDNN cannot give here leaves the exact path with the reason (else throws)
     */
    private CpuBackend(ThreadTeam team, boolean repack, ProgressListener progress, DType gemmType, boolean fallBack) {
        this.team = team;
        this.repack = repack && MatmulPanels.supported();
        this.progress = progress == null ? ProgressListener.NONE : progress;
        this.gemmType = gemmType;
        OneDnnGemm g = null;
        String why = gemmType != null && fallBack ? OneDnnGemm.bf16Unavailable() : null;
        if (gemmType != null && why == null) {
            try {
                g = OneDnnGemm.open(gemmType, team);
            } catch (RuntimeException e) {
                if (!fallBack) {
                    team.close();
                    throw e;
                }
                why = e.getMessage();
            }
        }
        this.gemm = g;
        this.matmulFallback = why;
    }

    /** The panels of {@code w}, or null when it is read in place. */
    MemorySegment panels(Weight w) {
        return panels.get(w);
    }

    /**
     * Repacks the graph's bf16 matrices not yet repacked (the LM head included; the embedding keeps
     * reading its rows from the mapping), after checking that the copy fits in the memory the
     * system has available; otherwise they stay in place and {@link #description} says why.
     */
    private synchronized void repack(Graph graph) {
        if (!repack || inPlaceReason != null) return;
        java.util.LinkedHashSet<Weight> todo = new java.util.LinkedHashSet<>();
        for (Op op : graph.ops()) {
            Weight w = switch (op) {
                case Op.Matmul m -> m.weight();
                case Op.LmHead h -> h.table();
                default -> null;
            };
            if (w != null && w.dtype() == DType.BF16 && !panels.containsKey(w)) todo.add(w);
        }
        if (todo.isEmpty()) return;
        long bytes = 0;
        for (Weight w : todo) bytes += MatmulPanels.bytes(w.rows(), w.cols());
        long available = HostMemory.available();
        if (available >= 0 && bytes > available) {
            inPlaceReason = String.format(java.util.Locale.ROOT, "bf16 matrices read in place: repacking them needs %.2f GiB, %.2f GiB available",
                    bytes / (double) (1L << 30), available / (double) (1L << 30));
            return;
        }
        String stage = "repacking bf16 weights into panels";
        long done = 0;
        // a tiny model repacks in milliseconds: only work a user waits for is reported
        ProgressListener progress = bytes >= (256L << 20) ? this.progress : ProgressListener.NONE;
        progress.progress(stage, 0, bytes);
        for (Weight w : todo) {
            int n = w.rows(), k = w.cols();
            MemorySegment out = HostMemory.allocate(MatmulPanels.bytes(n, k), panelMemory);
            MemorySegment data = w.data();
            team.parallelFor(MatmulPanels.panels(n), 2, (p0, p1, t) -> MatmulPanels.pack(data, n, k, out, p0, p1));
            panels.put(w, out);
            done += out.byteSize();
            progress.progress(stage, done, bytes);
        }
    }

    /** The native GEMM for prompt rows of {@code dtype} weights, or null when the exact path runs them. */
    OneDnnGemm nativeGemm(DType dtype) {
        return dtype == gemmType ? gemm : null;
    }

    @Override
    public String prefillGemm() {
        return gemm == null ? "exact" : gemm.description();
    }

    @Override
    public String matmulFallback() {
        return matmulFallback;
    }

    @Override
    public boolean copiesBf16Matrices() {
        return repack && inPlaceReason == null;
    }

    public int threads() {
        return team.size();
    }

    ThreadTeam team() {
        return team;
    }

    float[] vector(Weight w) {
        return w == null ? null : vectors.computeIfAbsent(w, Weight::toFloatArray);
    }

    /** The array of intermediate {@code b}, allocated by the first plan that needs it. */
    synchronized float[] acquireShared(Buffer b) {
        return shared.acquire(b, k -> new float[(int) k.elements()]);
    }

    /** A plan is done with intermediate {@code b}; the last one lets it go. */
    synchronized void releaseShared(Buffer b) {
        shared.release(b, m -> { });   // the garbage collector frees the array
    }

    /**
     * The plan's arrays live on the JVM heap: their size is checked against what the heap can still
     * give before anything is allocated, as device backends check device memory (an
     * OutOfMemoryError halfway through would leave the JVM in a poor state).
     */
    private synchronized void checkHeap(Graph graph) {
        java.util.Set<Buffer> intermediates = graph.intermediates();
        long needed = 0;
        for (Buffer b : graph.buffers()) {
            if (intermediates.contains(b) && shared.holds(b)) continue;   // another plan's, reused
            if (b.elements() > Integer.MAX_VALUE - 16) {
                throw new io.bloomj.InvalidInputException("buffer " + b + " has more than 2^31 elements, more than one Java array holds;"
                        + " use a shorter --context-length");
            }
            needed += b.elements() * Float.BYTES;
        }
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (needed > available) {
            throw new io.bloomj.InsufficientMemoryException("the JVM heap (raise -Xmx, BLOOMJ_JVM_FLAGS in tornado.env)",
                    "a session's KV cache and activations", needed, available);
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String description() {
        return "CPU, " + team.size() + " thread(s), Java Vector API " + Vectors.F.vectorBitSize() + "-bit"
                + (Vectors.ENABLED ? "" : " (disabled: scalar kernels)")
                + (!repack ? ", bf16 matrices read in place" : inPlaceReason != null ? ", " + inPlaceReason : ", bf16 matrices in panels")
                + (gemm == null ? "" : ", prompt matmuls: " + gemm.description());
    }

    @Override
    public boolean supports(Op op) {
        // Every op, every dtype: the CPU backend is the reference the others are checked against.
        return true;
    }

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        return new HostBandwidth(team, bytes);
    }

    @Override
    public ExecutionPlan plan(Graph graph) {
        if (team.isClosed()) throw new io.bloomj.ClosedException("the CPU backend");
        requireSupported(graph);
        checkHeap(graph);
        repack(graph);
        return new CpuPlan(this, graph);
    }

    @Override
    public synchronized void close() {
        if (team.isClosed()) return;
        if (gemm != null) gemm.close();
        team.close();
        panels.clear();
        panelMemory.close();
    }
}
