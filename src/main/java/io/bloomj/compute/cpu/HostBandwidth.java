package io.bloomj.compute.cpu;

import io.bloomj.compute.MemoryProbe;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.bloomj.compute.cpu.Vectors.LE;
import static io.bloomj.compute.cpu.Vectors.FV;

/**
 * Host memory read bandwidth the way decode uses memory: the team's threads stream disjoint parts
 * of one large buffer with vector loads. The buffer must be much larger than the caches (1 GiB by
 * default) so the figure is DRAM bandwidth, the roofline of batch-1 decoding. Each thread first
 * touches the pages it will read.
 */
final class HostBandwidth implements MemoryProbe {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final int BLOCK = 1 << 16;

    private final ThreadTeam team;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final long blocks;
    private final double[] sink;

    HostBandwidth(ThreadTeam team, long bytes) {
        this.team = team;
        this.blocks = Math.max(1, bytes / BLOCK);
        this.buf = arena.allocate(blocks * BLOCK, 64);
        this.sink = new double[team.size()];
        team.parallelFor((int) blocks, 1, (s, e, w) -> buf.asSlice((long) s * BLOCK, (long) (e - s) * BLOCK).fill((byte) 1));
        run();   // the JIT compiles the read loop before anything is timed
    }

    @Override
    public String kind() {
        return "host read, " + team.size() + " thread(s)";
    }

    @Override
    public long bytes() {
        return blocks * BLOCK;
    }

    @Override
    public long run() {
        team.parallelFor((int) blocks, 1, (s, e, w) -> sink[w] += sum(buf, (long) s * BLOCK, (long) e * BLOCK));
        return blocks * BLOCK;
    }

    private static float sum(MemorySegment seg, long from, long to) {
        // Vectors' exact-typed loads: a boxed probe would under-report the bandwidth decode is measured against.
        FloatVector a0 = FV.cast(FloatVector.zero(F)), a1 = FV.cast(FloatVector.zero(F)), a2 = FV.cast(FloatVector.zero(F)), a3 = FV.cast(FloatVector.zero(F));
        long step = F.vectorByteSize();
        for (long o = from; o < to; o += 4 * step) {
            a0 = a0.add(FV.cast(FloatVector.fromMemorySegment(F, seg, o, LE)));
            a1 = a1.add(FV.cast(FloatVector.fromMemorySegment(F, seg, o + step, LE)));
            a2 = a2.add(FV.cast(FloatVector.fromMemorySegment(F, seg, o + 2 * step, LE)));
            a3 = a3.add(FV.cast(FloatVector.fromMemorySegment(F, seg, o + 3 * step, LE)));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void close() {
        arena.close();
    }
}
