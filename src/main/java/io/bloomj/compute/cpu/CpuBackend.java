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
import io.bloomj.tensor.Weight;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pure-Java backend: Vector API kernels reading weights straight from the memory-mapped
 * checkpoint (nothing is copied but the small 1-D parameters, widened to fp32 once), on a fixed
 * {@link ThreadTeam}. Plans created from it share the team, so run one plan at a time per backend.
 * With {@link MatmulMode#BF16} (and oneDNN and bf16 instructions present) prompt rows' bf16
 * matmuls go to {@link OneDnnGemm} instead.
 */
public final class CpuBackend implements Backend {
    private final ThreadTeam team;
    /** Biases and LayerNorm parameters widened to fp32, shared by every plan. */
    private final Map<Weight, float[]> vectors = new ConcurrentHashMap<>();
    /** Intermediates shared by every plan. */
    private final SharedIntermediates<float[]> shared = new SharedIntermediates<>();

    /** The native GEMM for prompt rows of {@link #gemmType} weights, or null (exact path). */
    private final OneDnnGemm bf16Gemm;
    private final DType gemmType;
    /** Why {@link MatmulMode#BF16} was asked and not honoured, or null. */
    private final String matmulFallback;

    public CpuBackend(int threads) {
        this(threads, MatmulMode.EXACT);
    }

    public CpuBackend(int threads, MatmulMode matmul) {
        this.team = new ThreadTeam(threads);
        OneDnnGemm gemm = null;
        String why = null;
        if (matmul == MatmulMode.BF16) {
            why = OneDnnGemm.bf16Unavailable();
            if (why == null) {
                try {
                    gemm = OneDnnGemm.open(DType.BF16, team);
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
            }
        }
        this.bf16Gemm = gemm;
        this.gemmType = DType.BF16;
        this.matmulFallback = why;
    }

    /**
     * Prompt rows of {@code type} weights through oneDNN whatever the CPU: with F32 this checks the
     * native path of {@link CpuPlan} on machines that have no bf16 matmul (tests).
     */
    CpuBackend(int threads, DType type) {
        this.team = new ThreadTeam(threads);
        try {
            this.bf16Gemm = OneDnnGemm.open(type, team);
        } catch (RuntimeException e) {
            team.close();
            throw e;
        }
        this.gemmType = type;
        this.matmulFallback = null;
    }

    /** The native GEMM for prompt rows of {@code dtype} weights, or null when the exact path runs them. */
    OneDnnGemm nativeGemm(DType dtype) {
        return dtype == gemmType ? bf16Gemm : null;
    }

    @Override
    public String prefillGemm() {
        return bf16Gemm == null ? "exact" : bf16Gemm.description();
    }

    @Override
    public String matmulFallback() {
        return matmulFallback;
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
                + (bf16Gemm == null ? "" : ", prompt matmuls: " + bf16Gemm.description());
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
        return new CpuPlan(this, graph);
    }

    @Override
    public void close() {
        if (bf16Gemm != null) bf16Gemm.close();
        team.close();
    }
}
