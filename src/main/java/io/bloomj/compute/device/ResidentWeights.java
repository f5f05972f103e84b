package io.bloomj.compute.device;

import io.bloomj.compute.Graph;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weight-residency policy of every device backend: a weight is copied to the device the first
 * time a graph needs it and stays there for every later plan until the backend closes. Matrices keep
 * their checkpoint dtype, split in row blocks no larger than the device's largest allocation;
 * vectors (biases, LayerNorm parameters) are widened to fp32 once. The copy is always a device copy,
 * never a mapping of the user's checkpoint, so the driver never touches the file after it is closed.
 */
public final class ResidentWeights implements AutoCloseable {
    private static final long UPLOAD_CHUNK = 64L << 20;

    private final DeviceMemory memory;
    private final ProgressListener progress;
    private final Map<Weight, DeviceMatrix> matrices = new IdentityHashMap<>();
    private final Map<Weight, DeviceBuffer> vectors = new IdentityHashMap<>();
    private final Map<Integer, DeviceBuffer> zeros = new HashMap<>();

    public ResidentWeights(DeviceMemory memory, ProgressListener progress) {
        this.memory = memory;
        this.progress = progress;
    }

    /** Device bytes a weight takes: a matrix in its dtype (with its Q8_0 scales), a vector as fp32. */
    public static long residentBytes(Weight w) {
        return w.shape().length == 1 ? w.numel() * Float.BYTES : w.byteSize();
    }

    /** The scales of a resident matrix block; for a float dtype, which ignores them, a small zero buffer to bind instead. */
    public DeviceBuffer scalesOf(DeviceMatrix.Block b) {
        return b.scales() != null ? b.scales() : zeros(1);
    }

    /** Bytes {@link #makeResident} would upload for {@code graph} (weights not on the device yet). */
    public synchronized long bytesToUpload(Graph graph) {
        long bytes = 0;
        for (Weight w : graph.weights()) if (!matrices.containsKey(w) && !vectors.containsKey(w)) bytes += residentBytes(w);
        return bytes;
    }

    /** Uploads every weight of {@code graph} not resident yet, reporting progress in bytes. */
    public synchronized void makeResident(Graph graph) {
        long total = bytesToUpload(graph);
        long[] done = {0};
        String stage = "uploading weights to " + memory.deviceName();
        for (Weight w : graph.weights()) {
            if (matrices.containsKey(w) || vectors.containsKey(w)) continue;
            if (w.shape().length == 1) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment host = a.allocateFrom(ValueLayout.JAVA_FLOAT, w.toFloatArray());
                    DeviceBuffer b = memory.allocate(host.byteSize(), w.name());
                    memory.write(b, 0, host, host.byteSize());
                    vectors.put(w, b);
                    done[0] += host.byteSize();
                }
            } else {
                matrices.put(w, uploadMatrix(w, done, total, stage));
            }
            progress.progress(stage, Math.min(done[0], total), total);
        }
    }

    private DeviceMatrix uploadMatrix(Weight w, long[] done, long total, String stage) {
        long rowBytes = (long) w.cols() * w.dtype().bytes();
        long scaleRowBytes = w.scales() == null ? 0 : Q8_0.scaleBytes(1, w.cols());
        int rowsPerBlock = (int) Math.max(1, Math.min(w.rows(), memory.maxAllocation() / rowBytes));
        List<DeviceMatrix.Block> blocks = new ArrayList<>();
        for (int row0 = 0; row0 < w.rows(); row0 += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, w.rows() - row0);
            DeviceBuffer b = upload(w.data().asSlice(row0 * rowBytes, rows * rowBytes), w.name(), done, total, stage);
            DeviceBuffer s = w.scales() == null ? null
                    : upload(w.scales().asSlice(row0 * scaleRowBytes, rows * scaleRowBytes), w.name() + " scales", done, total, stage);
            blocks.add(new DeviceMatrix.Block(b, s, row0, rows));
        }
        return new DeviceMatrix(w, blocks);
    }

    /** A device copy of {@code host}, in chunks, reporting progress. */
    private DeviceBuffer upload(MemorySegment host, String what, long[] done, long total, String stage) {
        DeviceBuffer b = memory.allocate(host.byteSize(), what);
        for (long off = 0; off < host.byteSize(); off += UPLOAD_CHUNK) {
            long n = Math.min(UPLOAD_CHUNK, host.byteSize() - off);
            memory.write(b, off, host.asSlice(off, n), n);
            done[0] += n;
            progress.progress(stage, Math.min(done[0], total), total);
        }
        return b;
    }

    public synchronized DeviceMatrix matrix(Weight w) {
        DeviceMatrix m = matrices.get(w);
        if (m == null) throw new IllegalStateException("weight " + w.name() + " is not resident");
        return m;
    }

    /** A vector widened to fp32 on the device; {@code null} gives {@link #zeros} of {@code length}. */
    public synchronized DeviceBuffer vector(Weight w, int length) {
        if (w == null) return zeros(length);
        DeviceBuffer b = vectors.get(w);
        if (b == null) throw new IllegalStateException("weight " + w.name() + " is not resident");
        return b;
    }

    /** A shared device buffer of {@code floats} zeros (the bias of a matmul without one). */
    public synchronized DeviceBuffer zeros(int floats) {
        return zeros.computeIfAbsent(floats, n -> memory.allocate((long) n * Float.BYTES, "zeros"));
    }

    @Override
    public synchronized void close() {
        for (DeviceMatrix m : matrices.values()) {
            for (DeviceMatrix.Block b : m.blocks()) {
                memory.free(b.buffer());
                memory.free(b.scales());
            }
        }
        vectors.values().forEach(memory::free);
        zeros.values().forEach(memory::free);
        matrices.clear();
        vectors.clear();
        zeros.clear();
    }
}
