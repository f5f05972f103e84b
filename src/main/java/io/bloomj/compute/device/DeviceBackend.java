package io.bloomj.compute.device;

import io.bloomj.ClosedException;
import io.bloomj.InsufficientMemoryException;
import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.SharedIntermediates;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.tensor.ProgressListener;

import java.util.List;
import java.util.Set;

/**
 * What every device backend shares: the graph is lowered once ({@link Lowering}), checked against
 * the device's memory (one message for every backend), its weights made resident
 * ({@link ResidentWeights}), and handed to the backend's {@link RecordedPlan}, which only binds and
 * launches. A subclass supplies the device memory, the fusions it runs, the scratch its kernels
 * need beyond the graph's buffers, and the plan.
 */
public abstract class DeviceBackend implements Backend {
    protected final DeviceMemory memory;
    protected final ResidentWeights weights;
    /** Intermediates shared by every plan of this backend. */
    private final SharedIntermediates<DeviceBuffer> shared = new SharedIntermediates<>();

    protected DeviceBackend(DeviceMemory memory, ProgressListener progress) {
        this.memory = memory;
        this.weights = new ResidentWeights(memory, progress);
    }

    /** The pairs of ops this backend runs as one kernel. */
    public abstract Set<Fusion> fusions();

    /** Device bytes a launch needs besides the graph's buffers and the weights (partial results). */
    protected abstract long scratchBytes(Launch launch, Graph graph);

    /** Records the lowered graph as launches of this backend's kernels. */
    protected abstract RecordedPlan record(Graph graph, List<Launch> launches);

    public final DeviceMemory memory() {
        return memory;
    }

    public final ResidentWeights weights() {
        return weights;
    }

    @Override
    public final synchronized ExecutionPlan plan(Graph graph) {
        if (closed) throw new ClosedException("the " + name() + " backend");
        List<Launch> launches = Lowering.lower(graph, this, fusions());
        // token ids and the row tables every recorded plan uploads per step
        long scratch = RecordedPlan.FIXED_SCRATCH_BYTES + (long) graph.maxRows() * Integer.BYTES + RowTables.of(graph).bytes(graph);
        for (Launch l : launches) scratch += scratchBytes(l, graph);
        checkFits(graph, scratch);
        weights.makeResident(graph);
        return record(graph, launches);
    }

    /** Every buffer within the largest allocation, and weights + buffers + scratch within what the device has left. */
    private void checkFits(Graph graph, long scratch) {
        long bufferBytes = 0;
        Set<Buffer> intermediates = graph.intermediates();
        for (Buffer b : graph.buffers()) {
            if (intermediates.contains(b) && shared.holds(b)) continue;   // another plan's, reused
            long bytes = b.elements() * Float.BYTES;
            if (bytes > memory.maxAllocation()) {
                throw new InsufficientMemoryException(memory.deviceName(), "buffer " + b.name() + " (one allocation; the device's "
                        + "largest is " + memory.maxAllocation() / 1_000_000 + " MB; use a shorter --context-length)",
                        bytes, memory.maxAllocation());
            }
            bufferBytes += bytes;
        }
        long needed = weights.bytesToUpload(graph) + bufferBytes + scratch;
        long available = memory.availableBytes();
        if (needed > available) {
            throw new InsufficientMemoryException(memory.deviceName(), "the model's weights and a session's buffers", needed, available);
        }
    }

    /** The device memory of intermediate {@code b}, allocated by the first plan that needs it. */
    final synchronized DeviceBuffer acquireShared(Buffer b) {
        return shared.acquire(b, k -> memory.allocate(k.elements() * Float.BYTES, k.name()));
    }

    /** A plan is done with intermediate {@code b}; the last one frees it. */
    final synchronized void releaseShared(Buffer b) {
        shared.release(b, memory::free);
    }

    private boolean closed;

    /** Waits for everything queued on the device (before memory is freed). */
    protected abstract void finishWork();

    /** Frees what the backend holds besides the weights (programs, modules, context); called once. */
    protected abstract void releaseDevice();

    /** Copies {@code src} to {@code dst} on the device and waits (the bandwidth probe). */
    protected abstract void copyAndWait(DeviceBuffer src, DeviceBuffer dst, long bytes);

    /**
     * A device-to-device copy probe over two buffers of {@code size} bytes (rounded down to 4 KiB),
     * allocated through the memory account and freed when the probe closes.
     */
    protected final MemoryProbe deviceCopyProbe(long size) {
        long bytes = Math.max(4096, size & ~4095L);
        DeviceBuffer a = memory.allocate(bytes, "bandwidth probe"), b = memory.allocate(bytes, "bandwidth probe");
        finishWork();
        return MemoryProbe.deviceCopy(bytes, () -> {
            synchronized (DeviceBackend.this) {
                copyAndWait(a, b, bytes);
            }
        }, () -> {
            memory.free(a);
            memory.free(b);
        });
    }

    /**
     * Closes once: waits for the device, frees the weights, then the backend's own resources. A step
     * another thread is in finishes first (steps hold the backend); later ones fail with a ClosedException.
     */
    @Override
    public final synchronized void close() {
        if (closed) return;
        closed = true;
        finishWork();
        weights.close();
        releaseDevice();
    }

    final synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public long peakDeviceMemory() {
        return memory.peak();
    }
}
