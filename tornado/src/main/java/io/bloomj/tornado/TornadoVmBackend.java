package io.bloomj.tornado;

import io.bloomj.BloomjException;
import io.bloomj.InsufficientMemoryException;
import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.compute.device.Fusion;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;
import io.bloomj.tornado.kernels.AlibiAttention;
import io.bloomj.tornado.kernels.Weights16;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * bloomj on one TornadoVM device. Holds the host side of the resident weights (16-bit matrices as
 * {@link ShortArray}s with their decode tables, vectors as {@link FloatArray}s), converted once and
 * shared by every plan; each {@link TornadoPlan} is one TornadoVM task graph and execution plan.
 */
public final class TornadoVmBackend implements Backend {
    private final TornadoDevices.Found device;
    private final int index;
    private final Map<Weight, ShortArray> matrices = new IdentityHashMap<>();
    private final Map<Weight, FloatArray> vectors = new IdentityHashMap<>();
    private final Map<Integer, FloatArray> zeros = new java.util.HashMap<>();
    private FloatArray bf16, f16;
    private long peak, live;
    private boolean closed;

    private final io.bloomj.tensor.ProgressListener progress;

    private TornadoVmBackend(TornadoDevices.Found device, int index, io.bloomj.tensor.ProgressListener progress) {
        this.device = device;
        this.index = index;
        this.progress = progress;
    }

    /** Where a plan reports the compilation of its task graphs (seconds per graph on a first run). */
    io.bloomj.tensor.ProgressListener progress() {
        return progress;
    }

    /** Opens TornadoVM device {@code index} (see {@code bloomj devices}). */
    public static TornadoVmBackend open(int index) {
        return open(index, io.bloomj.tensor.ProgressListener.NONE);
    }

    /** Opens TornadoVM device {@code index}, reporting long work (kernel compilation) to {@code progress}. */
    public static TornadoVmBackend open(int index, io.bloomj.tensor.ProgressListener progress) {
        String why = TornadoDevices.unavailableReason();
        if (why != null) throw new BloomjException("the tornado backend is unavailable: " + why);
        List<TornadoDevices.Found> all = TornadoDevices.all();
        if (index < 0 || index >= all.size()) {
            throw new BloomjException("no TornadoVM device " + index + " (there are " + all.size() + "; see bloomj devices)");
        }
        return new TornadoVmBackend(all.get(index), index, progress);
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public String description() {
        return "TornadoVM " + device.driver() + " " + device.name() + " (device " + index + ")";
    }

    TornadoDevices.Found device() {
        return device;
    }

    /**
     * bf16, f16 (decoded exactly through a table) or Q8_0 weights for every matrix; any dtype for the
     * vectors (converted to fp32 once); head sizes up to {@link AlibiAttention#MAX_HEAD_DIM}.
     */
    @Override
    public boolean supports(Op op) {
        return switch (op) {
            case Op.Embedding e -> sixteenBit(e.table());
            case Op.Matmul m -> sixteenBit(m.weight());
            case Op.LmHead h -> sixteenBit(h.table());
            case Op.AlibiAttention a -> a.headDim() <= AlibiAttention.MAX_HEAD_DIM;
            default -> true;
        };
    }

    private static boolean sixteenBit(Weight w) {
        return (w.dtype() == DType.BF16 || w.dtype() == DType.F16 || w.dtype() == DType.Q8_0) && w.numel() <= Integer.MAX_VALUE - 64;
    }

    /**
     * Whether the decode kernels run one work-item per output row (CPU devices) or a work-group per
     * row (GPUs and accelerators), as the hand-written OpenCL backend chooses;
     * {@code -Dbloomj.tornado.style=cpu|gpu} forces one (tests run both).
     */
    boolean cpuStyle() {
        String forced = System.getProperty("bloomj.tornado.style", "auto");
        return switch (forced) {
            case "cpu" -> true;
            case "gpu" -> false;
            default -> device.type().contains("CPU");
        };
    }

    /**
     * The pairs of ops that run as one task: matmul + GELU, matmul + residual add, and on GPUs the LM
     * head + the first pass of argmax (on CPU devices the argmax runs alone over the logits).
     */
    Set<Fusion> fusions(boolean cpuStyle) {
        return cpuStyle ? EnumSet.of(Fusion.MATMUL_GELU, Fusion.MATMUL_RESIDUAL) : EnumSet.allOf(Fusion.class);
    }

    @Override
    public synchronized ExecutionPlan plan(Graph graph) {
        if (closed) throw new io.bloomj.ClosedException("the tornado backend");
        requireSupported(graph);
        long needed = 0, largest = 0;
        String largestName = "";
        for (Buffer b : graph.buffers()) {
            needed += b.elements() * Float.BYTES;
            if (b.elements() * Float.BYTES > largest) {
                largest = b.elements() * Float.BYTES;
                largestName = "buffer " + b.name();
            }
        }
        for (Weight w : graph.weights()) {
            long bytes = w.dtype() == DType.Q8_0 ? w.numel() + w.scales().byteSize() : w.numel() * (isMatrixDtype(w) ? 2 : 4);
            needed += bytes;
            if (bytes > largest) {
                largest = bytes;
                largestName = "weight " + w.name();
            }
        }
        // Each array is one device buffer: none may exceed the device's largest allocation.
        if (largest > device.maxAllocation()) {
            throw new InsufficientMemoryException(description(), "its largest allocation (" + largestName + ")", largest, device.maxAllocation());
        }
        // Each plan holds its own device copy of what it uses (TornadoVM allocates per execution plan).
        if (live + needed > device.globalMemory()) {
            throw new InsufficientMemoryException(description(), "the model's weights, activations and KV cache", live + needed,
                    device.globalMemory());
        }
        TornadoPlan p = new TornadoPlan(this, graph, needed);
        live += needed;
        peak = Math.max(peak, live);
        return p;
    }

    private static boolean isMatrixDtype(Weight w) {
        return (w.dtype() == DType.BF16 || w.dtype() == DType.F16) && w.shape().length == 2;
    }

    /** The matrix as 16-bit values (a copy made once per weight). */
    synchronized ShortArray matrix(Weight w) {
        return matrices.computeIfAbsent(w, k -> ShortArray.fromSegment(k.data()));
    }

    private final Map<Weight, uk.ac.manchester.tornado.api.types.arrays.ByteArray> q8Values = new IdentityHashMap<>();
    private final Map<Weight, ShortArray> q8Scales = new IdentityHashMap<>();

    /** A Q8_0 matrix's int8 values (a copy made once per weight). */
    synchronized uk.ac.manchester.tornado.api.types.arrays.ByteArray q8Values(Weight w) {
        return q8Values.computeIfAbsent(w, k -> uk.ac.manchester.tornado.api.types.arrays.ByteArray.fromSegment(k.data()));
    }

    /** A Q8_0 matrix's fp16 block scales [rows, ceil(cols / 32)]. */
    synchronized ShortArray q8Scales(Weight w) {
        return q8Scales.computeIfAbsent(w, k -> ShortArray.fromSegment(k.scales()));
    }

    /** The exact float of each 16-bit value of {@code dtype}. */
    synchronized FloatArray decodeTable(DType dtype) {
        if (dtype == DType.BF16) {
            if (bf16 == null) bf16 = Weights16.decode(true);
            return bf16;
        }
        if (f16 == null) f16 = Weights16.decode(false);
        return f16;
    }

    /** A vector weight in fp32, or {@code n} zeros for a missing bias. */
    synchronized FloatArray vector(Weight w, int n) {
        if (w == null) return zeros.computeIfAbsent(n, k -> new FloatArray(k));
        return vectors.computeIfAbsent(w, k -> FloatArray.fromArray(k.toFloatArray()));
    }

    /** A plan's device bytes are free again. */
    synchronized void released(long bytes) {
        live -= bytes;
    }

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        return TornadoCopyProbe.open(bytes);
    }

    @Override
    public long peakDeviceMemory() {
        return peak;
    }

    @Override
    public synchronized void close() {
        closed = true;
        matrices.clear();
        vectors.clear();
        q8Values.clear();
        q8Scales.clear();
    }
}
