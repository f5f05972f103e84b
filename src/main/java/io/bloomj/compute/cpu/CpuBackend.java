package io.bloomj.compute.cpu;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.SharedIntermediates;
import io.bloomj.tensor.Weight;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pure-Java backend: Vector API kernels reading weights straight from the memory-mapped
 * checkpoint (nothing is copied but the small 1-D parameters, widened to fp32 once), on a fixed
 * {@link ThreadTeam}. Plans created from it share the team, so run one plan at a time per backend.
 */
public final class CpuBackend implements Backend {
    private final ThreadTeam team;
    /** Biases and LayerNorm parameters widened to fp32, shared by every plan. */
    private final Map<Weight, float[]> vectors = new ConcurrentHashMap<>();
    /** Intermediates shared by every plan. */
    private final SharedIntermediates<float[]> shared = new SharedIntermediates<>();

    public CpuBackend(int threads) {
        this.team = new ThreadTeam(threads);
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
                + (Vectors.ENABLED ? "" : " (disabled: scalar kernels)");
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
        team.close();
    }
}
