package io.bloomj.compute.cpu;

import io.bloomj.compute.Bandwidth;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Measures host memory read bandwidth the way decode uses memory: threads streaming disjoint
 * parts of one large buffer with vector loads. The buffer must be much larger than the caches
 * (1 GiB by default) so the figure is DRAM bandwidth, the roofline of batch-1 decoding.
 */
public final class HostBandwidth {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int BLOCK = 1 << 16;

    private HostBandwidth() {}

    public static Bandwidth measure(long bytes, int threads, int repetitions) {
        long blocks = bytes / BLOCK;
        double[] rates = new double[repetitions];
        try (Arena arena = Arena.ofShared(); ThreadTeam team = new ThreadTeam(threads)) {
            MemorySegment buf = arena.allocate(blocks * BLOCK, 64);
            team.parallelFor((int) blocks, 1, (s, e, w) -> buf.asSlice((long) s * BLOCK, (long) (e - s) * BLOCK)
                    .fill((byte) 1)); // touch every page on the thread that will read it
            double[] sink = new double[threads];
            for (int w = 0; w < 3; w++) read(team, buf, blocks, sink); // warm-up: the JIT compiles the loop
            for (int r = 0; r < repetitions; r++) {
                long t0 = System.nanoTime();
                read(team, buf, blocks, sink);
                rates[r] = blocks * BLOCK / ((System.nanoTime() - t0) / 1e9);
            }
            if (Arrays.stream(sink).sum() == 42) System.out.print(""); // keep the reads alive
        }
        return new Bandwidth("host read, " + threads + " thread(s)", blocks * BLOCK, rates);
    }

    private static void read(ThreadTeam team, MemorySegment buf, long blocks, double[] sink) {
        team.parallelFor((int) blocks, 1, (s, e, w) -> sink[w] += sum(buf, (long) s * BLOCK, (long) e * BLOCK));
    }

    private static float sum(MemorySegment seg, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        long step = F.vectorByteSize();
        for (long o = from; o < to; o += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, o + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD) + seg.get(ValueLayout.JAVA_BYTE, from);
    }
}
