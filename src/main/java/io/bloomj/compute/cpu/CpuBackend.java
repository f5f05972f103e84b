package io.bloomj.compute.cpu;

import io.bloomj.compute.Backend;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
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
        requireSupported(graph);
        return new CpuPlan(this, graph);
    }

    @Override
    public void close() {
        team.close();
    }
}
