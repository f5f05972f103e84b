package io.bloomj.compute.opencl;

import io.bloomj.BloomjException;
import io.bloomj.InsufficientMemoryException;
import io.bloomj.compute.Backend;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.ProgressListener;
import io.bloomj.compute.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs graphs on an OpenCL 1.2+ device through java.lang.foreign. Weights are uploaded once, on the
 * first plan, and stay resident for every plan of the backend; each plan owns its activations and
 * KV cache on the device.
 *
 * <pre>{@code
 * try (OpenClBackend cl = OpenClBackend.open(0, KernelStyle.AUTO, ProgressListener.NONE)) { ... }
 * }</pre>
 */
public final class OpenClBackend implements Backend {
    final ClContext ctx;
    final ClPrograms programs;
    final KernelStyle style;
    private final ProgressListener progress;
    private final Map<Weight, DeviceWeight> matrices = new IdentityHashMap<>();
    private final Map<Weight, MemorySegment> vectors = new IdentityHashMap<>();
    private final Map<Integer, MemorySegment> zeros = new java.util.HashMap<>();
    private long allocated;
    private long peak;

    private OpenClBackend(ClContext ctx, KernelStyle style, Path cacheDir, ProgressListener progress) {
        this.ctx = ctx;
        this.style = style.resolve(ctx.device);
        this.programs = new ClPrograms(ctx, cacheDir);
        this.progress = progress;
    }

    /**
     * Opens device {@code index} of {@link ClDevice#discover()}.
     *
     * @param progress receives weight upload progress
     * @throws BloomjException when there is no OpenCL, no such device, or the device cannot run bloomj
     */
    public static OpenClBackend open(int index, KernelStyle style, ProgressListener progress) {
        return open(index, style, ClPrograms.defaultCacheDir(), progress);
    }

    public static OpenClBackend open(int index, KernelStyle style, Path cacheDir, ProgressListener progress) {
        OpenCl cl = OpenCl.load().orElseThrow(() -> new BloomjException(OpenCl.unavailableReason()));
        List<ClDevice> devices = ClDevice.discover();
        if (devices.isEmpty()) {
            throw new BloomjException("no OpenCL platform or device found (Debian/Ubuntu: apt-get install pocl-opencl-icd "
                    + "for CPUs, or the GPU vendor's OpenCL driver); run 'bloomj devices' to check");
        }
        if (index < 0 || index >= devices.size()) {
            throw new BloomjException("no OpenCL device " + index + "; there are " + devices.size() + " (0-" + (devices.size() - 1)
                    + "), see 'bloomj devices'");
        }
        ClDevice device = devices.get(index);
        if (!device.usable()) throw new BloomjException("OpenCL device " + index + " (" + device + ") " + device.whyNotUsable());
        warnWithoutSignalChaining();
        return new OpenClBackend(new ClContext(cl, device), style, cacheDir, progress);
    }

    private static volatile boolean warned;

    /**
     * OpenCL drivers that compile kernels in-process with LLVM (PoCL, several CPU and GPU runtimes)
     * install SIGSEGV handlers over the JVM's, and the JVM relies on that signal for null checks and
     * safepoints: without signal chaining it can die of signal 11 at any time. bin/bloomj, the test
     * and benchmark builds preload libjsig; library users are told once.
     */
    private static void warnWithoutSignalChaining() {
        String preload = System.getenv("LD_PRELOAD");
        if (warned || System.getProperty("os.name", "").startsWith("Windows") || (preload != null && preload.contains("libjsig"))) return;
        warned = true;
        System.getLogger("io.bloomj").log(System.Logger.Level.WARNING, "the OpenCL backend should run with JVM signal chaining: "
                + "start java with LD_PRELOAD=" + System.getProperty("java.home") + "/lib/libjsig.so (bin/bloomj does); without it, an "
                + "OpenCL driver that compiles with LLVM in-process (PoCL) can crash the JVM");
    }

    /** Whether an OpenCL device exists here; the reason when not. */
    public static String unavailableReason() {
        if (OpenCl.load().isEmpty()) return OpenCl.unavailableReason();
        if (ClDevice.discover().isEmpty()) return "no OpenCL platform or device found";
        return null;
    }

    public ClDevice device() {
        return ctx.device;
    }

    public KernelStyle style() {
        return style;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String description() {
        ClDevice d = ctx.device;
        return String.format(Locale.ROOT, "OpenCL %s (%s, %s), %d compute units, %.1f GB, %s kernels", d.name(), d.platformName(),
                d.driverVersion(), d.computeUnits(), d.globalMemory() / 1e9, style.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public boolean supports(Op op) {
        return true;   // every op has a kernel in kernels/opencl (checked by OpenClKernelFilesTest)
    }

    @Override
    public synchronized ExecutionPlan plan(Graph graph) {
        long weightBytes = 0;
        for (Weight w : graph.weights()) {
            if (!matrices.containsKey(w) && !vectors.containsKey(w)) weightBytes += residentBytes(w);
        }
        long bufferBytes = 0;
        for (var b : graph.buffers()) {
            long bytes = b.elements() * Float.BYTES;
            if (bytes > ctx.device.maxAllocation()) {
                throw new InsufficientMemoryException(ctx.device.name(), "buffer " + b.name() + " (one allocation; the device's "
                        + "largest is " + ctx.device.maxAllocation() / 1_000_000 + " MB; use a shorter --context-length)",
                        bytes, ctx.device.maxAllocation());
            }
            bufferBytes += bytes;
        }
        long available = ctx.device.globalMemory() - allocated;
        if (weightBytes + bufferBytes > available) {
            throw new InsufficientMemoryException(ctx.device.name(), "the model's weights and a session's buffers",
                    weightBytes + bufferBytes, available);
        }
        upload(graph, weightBytes);
        track(bufferBytes);
        return new OpenClPlan(this, graph, bufferBytes);
    }

    /** Device memory a weight takes: matrices in their dtype, vectors as fp32. */
    private long residentBytes(Weight w) {
        return w.shape().length == 1 ? w.numel() * Float.BYTES : w.byteSize();
    }

    private void upload(Graph graph, long total) {
        long[] done = {0};
        for (Weight w : graph.weights()) {
            if (w.shape().length == 1) {
                vectors.computeIfAbsent(w, v -> {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment host = a.allocateFrom(ValueLayout.JAVA_FLOAT, v.toFloatArray());
                        track(host.byteSize());
                        return ctx.createBuffer(host.byteSize(), host, v.name());
                    }
                });
            } else if (!matrices.containsKey(w)) {
                matrices.put(w, uploadMatrix(w, done, total));
            }
        }
    }

    private DeviceWeight uploadMatrix(Weight w, long[] done, long total) {
        long rowBytes = (long) w.cols() * w.dtype().bytes();
        int rowsPerBlock = (int) Math.max(1, Math.min(w.rows(), ctx.device.maxAllocation() / rowBytes));
        List<DeviceWeight.Block> blocks = new ArrayList<>();
        // Always a device copy, CPU devices included, never CL_MEM_USE_HOST_PTR on the file mapping:
        // the driver then never touches the user's mapped checkpoint (after close or unmap), and on
        // PoCL decode is no slower for it (3b tg16: 3.93 tok/s with the copy, 3.73 earlier with the
        // mapping). On CPU devices the copy costs host memory, which the check in plan() counts
        // against the device's global memory. (Random exit-139 crashes first blamed on the mapping
        // came from PoCL's LLVM signal handlers; see libjsig in bin/bloomj.)
        for (int row0 = 0; row0 < w.rows(); row0 += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, w.rows() - row0);
            MemorySegment slice = w.data().asSlice(row0 * rowBytes, rows * rowBytes);
            blocks.add(new DeviceWeight.Block(ctx.createBuffer(slice.byteSize(), slice, w.name()), row0, rows));
            track(slice.byteSize());
            done[0] += slice.byteSize();
            progress.progress("uploading weights to " + ctx.device.name(), Math.min(done[0], total), total);
        }
        return new DeviceWeight(w, List.copyOf(blocks));
    }

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        long size = Math.max(4096, Math.min(bytes, ctx.device.maxAllocation()) & ~4095L);
        MemorySegment a = ctx.createBuffer(size, null, "bandwidth probe");
        MemorySegment b = ctx.createBuffer(size, null, "bandwidth probe");
        ctx.zero(a, size);
        ctx.zero(b, size);
        ctx.finish();
        return MemoryProbe.deviceCopy(size, () -> {
            synchronized (OpenClBackend.this) {
                OpenCl.check((int) OpenCl.call(ctx.cl.clEnqueueCopyBuffer, ctx.queue, a, b, 0L, 0L, size, 0, MemorySegment.NULL,
                        MemorySegment.NULL), "clEnqueueCopyBuffer");
                ctx.finish();
            }
        }, () -> {
            ctx.release(a);
            ctx.release(b);
        });
    }

    @Override
    public synchronized long peakDeviceMemory() {
        return peak;
    }

    private void track(long bytes) {
        allocated += bytes;
        peak = Math.max(peak, allocated);
    }

    DeviceWeight matrix(Weight w) {
        return matrices.get(w);
    }

    MemorySegment vector(Weight w) {
        return vectors.get(w);
    }

    /** A device buffer of at least {@code floats} zeros (bias of a matmul without one). */
    synchronized MemorySegment zeros(int floats) {
        return zeros.computeIfAbsent(floats, n -> {
            MemorySegment m = ctx.createBuffer((long) n * Float.BYTES, null, "zeros");
            ctx.zero(m, (long) n * Float.BYTES);
            track((long) n * Float.BYTES);
            return m;
        });
    }

    synchronized void released(long bytes) {
        allocated -= bytes;
    }

    @Override
    public synchronized void close() {
        ctx.finish();
        for (DeviceWeight d : matrices.values()) for (DeviceWeight.Block b : d.blocks()) ctx.release(b.mem());
        for (MemorySegment m : vectors.values()) ctx.release(m);
        for (MemorySegment m : zeros.values()) ctx.release(m);
        matrices.clear();
        vectors.clear();
        zeros.clear();
        programs.close();
        ctx.close();
    }
}
