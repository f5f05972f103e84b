package io.bloomj.compute.cuda;

import io.bloomj.BloomjException;
import io.bloomj.InsufficientMemoryException;
import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.DType;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.compute.ProgressListener;
import io.bloomj.compute.Weight;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.bloomj.compute.cuda.Cuda.call;

/**
 * Runs graphs on an NVIDIA GPU through the CUDA driver API. Kernels are the PTX modules built from
 * {@code kernels/cuda} at build time and shipped in the jar (loaded with cuModuleLoadData, no
 * NVRTC). Weights are uploaded once, with progress, and stay resident for every plan; each plan
 * owns its activations and KV cache and replays decode steps as one CUDA graph launch.
 */
public final class CudaBackend implements Backend {
    final Cuda cu;
    final CudaDevice device;
    final MemorySegment context;
    final MemorySegment stream;
    private final ProgressListener progress;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> modules = new HashMap<>();
    private final Map<Weight, Long> matrices = new IdentityHashMap<>();
    private final Map<Weight, Long> vectors = new IdentityHashMap<>();
    private final Map<Integer, Long> zeros = new HashMap<>();
    private long allocated;
    private long peak;

    private CudaBackend(Cuda cu, CudaDevice device, ProgressListener progress) {
        this.cu = cu;
        this.device = device;
        this.progress = progress;
        MemorySegment dev = arena.allocate(ValueLayout.JAVA_INT);
        cu.check((int) call(cu.cuDeviceGet, dev, device.index()), "cuDeviceGet");
        MemorySegment ctx = arena.allocate(ValueLayout.ADDRESS);
        cu.check((int) call(cu.cuDevicePrimaryCtxRetain, ctx, dev.get(ValueLayout.JAVA_INT, 0)), "cuDevicePrimaryCtxRetain");
        context = ctx.get(ValueLayout.ADDRESS, 0);
        makeCurrent();
        MemorySegment s = arena.allocate(ValueLayout.ADDRESS);
        cu.check((int) call(cu.cuStreamCreate, s, Cuda.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        stream = s.get(ValueLayout.ADDRESS, 0);
    }

    /** Why the CUDA backend cannot run here, or null when it can. */
    public static String unavailableReason() {
        if (CudaBackend.class.getResource("/kernels/cuda/matmul.BF16.sm80.ptx") == null) {
            return "this bloomj build has no CUDA kernels (it was built without nvcc)";
        }
        if (Cuda.load().isEmpty()) return Cuda.unavailableReason();
        List<CudaDevice> devices = CudaDevice.discover();
        if (devices.isEmpty()) return "the CUDA driver reports no GPU";
        if (devices.stream().noneMatch(CudaDevice::usable)) return "no GPU of compute capability 8.0 or newer";
        return null;
    }

    public static CudaBackend open(int index, ProgressListener progress) {
        String why = unavailableReason();
        if (why != null) throw new BloomjException("CUDA backend unavailable: " + why);
        List<CudaDevice> devices = CudaDevice.discover();
        if (index < 0 || index >= devices.size()) {
            throw new BloomjException("no CUDA device " + index + "; there are " + devices.size() + ", see 'bloomj devices'");
        }
        CudaDevice d = devices.get(index);
        if (!d.usable()) throw new BloomjException("CUDA device " + index + " (" + d.name() + ") has compute capability "
                + d.computeCapability() + "; bloomj needs 8.0 or newer");
        return new CudaBackend(Cuda.load().orElseThrow(), d, progress);
    }

    /** CUDA contexts are current per thread: every entry point makes ours current first. */
    void makeCurrent() {
        cu.check((int) call(cu.cuCtxSetCurrent, context), "cuCtxSetCurrent");
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "CUDA %s (cc %s, %d SMs, %.1f GB, theoretical %.0f GB/s, driver %d)", device.name(),
                device.computeCapability(), device.multiprocessors(), device.totalMemory() / 1e9, device.theoreticalBandwidth() / 1e9,
                device.driverVersion());
    }

    @Override
    public boolean supports(Op op) {
        return true;   // every op has a kernel in kernels/cuda (KernelFilesTest)
    }

    /** The kernel {@code name} of module {@code file} (PTX for this device's architecture and the dtype). */
    synchronized MemorySegment function(String file, DType dtype, String name) {
        String arch = device.major() >= 9 ? "sm90" : "sm80";
        String resource = "/kernels/cuda/" + file + "." + (dtype == null ? "F32" : dtype.name()) + "." + arch + ".ptx";
        MemorySegment module = modules.computeIfAbsent(resource, r -> {
            byte[] ptx;
            try (InputStream in = CudaBackend.class.getResourceAsStream(r)) {
                if (in == null) throw new BloomjException("kernel module " + r + " is missing from the bloomj jar");
                ptx = in.readAllBytes();
            } catch (IOException e) {
                throw new BloomjException("cannot read " + r + ": " + e.getMessage(), e);
            }
            MemorySegment image = arena.allocate(ptx.length + 1L);
            MemorySegment.copy(ptx, 0, image, ValueLayout.JAVA_BYTE, 0, ptx.length);
            MemorySegment m = arena.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuModuleLoadData, m, image), "cuModuleLoadData(" + r + ")");
            return m.get(ValueLayout.ADDRESS, 0);
        });
        MemorySegment f = arena.allocate(ValueLayout.ADDRESS);
        cu.check((int) call(cu.cuModuleGetFunction, f, module, arena.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
        return f.get(ValueLayout.ADDRESS, 0);
    }

    long alloc(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.JAVA_LONG);
            cu.check((int) call(cu.cuMemAlloc, p, Math.max(bytes, 16)), "cuMemAlloc(" + what + ", " + bytes + " bytes)");
            cu.check((int) call(cu.cuMemsetD8, p.get(ValueLayout.JAVA_LONG, 0), (byte) 0, Math.max(bytes, 16)), "cuMemsetD8");
            synchronized (this) {
                allocated += bytes;
                peak = Math.max(peak, allocated);
            }
            return p.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    void free(long ptr, long bytes) {
        if (ptr == 0) return;
        cu.check((int) call(cu.cuMemFree, ptr), "cuMemFree");
        synchronized (this) {
            allocated -= bytes;
        }
    }

    void upload(long dst, MemorySegment src, long bytes) {
        cu.check((int) call(cu.cuMemcpyHtoD, dst, src, bytes), "cuMemcpyHtoD");
    }

    private long freeMemory() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(ValueLayout.JAVA_LONG), total = a.allocate(ValueLayout.JAVA_LONG);
            cu.check((int) call(cu.cuMemGetInfo, free, total), "cuMemGetInfo");
            return free.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Override
    public synchronized ExecutionPlan plan(Graph graph) {
        makeCurrent();
        long weightBytes = 0;
        for (Weight w : graph.weights()) {
            if (!matrices.containsKey(w) && !vectors.containsKey(w)) weightBytes += w.shape().length == 1 ? w.numel() * 4 : w.byteSize();
        }
        long bufferBytes = 0;
        for (Buffer b : graph.buffers()) bufferBytes += b.elements() * Float.BYTES;
        long free = freeMemory();
        long needed = weightBytes + bufferBytes + CudaPlan.scratchBytes(graph);
        if (needed > free) {
            throw new InsufficientMemoryException(device.name(), "the model's weights and a session's buffers", needed, free);
        }
        long total = weightBytes;
        long[] done = {0};
        for (Weight w : graph.weights()) {
            if (w.shape().length == 1) {
                vectors.computeIfAbsent(w, v -> {
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment host = a.allocateFrom(ValueLayout.JAVA_FLOAT, v.toFloatArray());
                        long p = alloc(host.byteSize(), v.name());
                        upload(p, host, host.byteSize());
                        return p;
                    }
                });
            } else if (!matrices.containsKey(w)) {
                long p = alloc(w.byteSize(), w.name());
                long chunk = 64L << 20;
                for (long off = 0; off < w.byteSize(); off += chunk) {
                    long n = Math.min(chunk, w.byteSize() - off);
                    cu.check((int) call(cu.cuMemcpyHtoD, p + off, w.data().asSlice(off, n), n), "cuMemcpyHtoD(" + w.name() + ")");
                    done[0] += n;
                    progress.progress("uploading weights to " + device.name(), Math.min(done[0], total), total);
                }
                matrices.put(w, p);
            }
        }
        return new CudaPlan(this, graph);
    }

    long matrix(Weight w) {
        return matrices.get(w);
    }

    long vector(Weight w) {
        return vectors.get(w);
    }

    synchronized long zeros(int floats) {
        return zeros.computeIfAbsent(floats, n -> alloc((long) n * 4, "zeros"));
    }

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        makeCurrent();
        long size = Math.max(1 << 20, bytes) & ~4095L;
        long a = alloc(size, "bandwidth probe"), b = alloc(size, "bandwidth probe");
        return MemoryProbe.deviceCopy(size, () -> {
            makeCurrent();
            cu.check((int) call(cu.cuMemcpyDtoD, b, a, size), "cuMemcpyDtoD");
            cu.check((int) call(cu.cuCtxSynchronize), "cuCtxSynchronize");
        }, () -> {
            free(a, size);
            free(b, size);
        });
    }

    @Override
    public synchronized long peakDeviceMemory() {
        return peak;
    }

    @Override
    public synchronized void close() {
        makeCurrent();
        call(cu.cuCtxSynchronize);
        for (Map.Entry<Weight, Long> e : matrices.entrySet()) free(e.getValue(), e.getKey().byteSize());
        for (Map.Entry<Weight, Long> e : vectors.entrySet()) free(e.getValue(), e.getKey().numel() * 4);
        for (Map.Entry<Integer, Long> e : zeros.entrySet()) free(e.getValue(), e.getKey() * 4L);
        for (MemorySegment m : modules.values()) call(cu.cuModuleUnload, m);
        call(cu.cuStreamDestroy, stream);
        MemorySegment dev = arena.allocate(ValueLayout.JAVA_INT);
        call(cu.cuDeviceGet, dev, device.index());
        call(cu.cuDevicePrimaryCtxRelease, dev.get(ValueLayout.JAVA_INT, 0));
        arena.close();
    }
}
