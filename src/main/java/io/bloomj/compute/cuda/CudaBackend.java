package io.bloomj.compute.cuda;

import io.bloomj.BloomjException;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.compute.device.DeviceBackend;
import io.bloomj.compute.device.DeviceBuffer;
import io.bloomj.compute.device.Fusion;
import io.bloomj.compute.device.Launch;
import io.bloomj.compute.device.RecordedPlan;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.ProgressListener;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static io.bloomj.compute.cuda.Cuda.call;

/**
 * Runs graphs on an NVIDIA GPU through the CUDA driver API. Kernels are the PTX modules built from
 * {@code kernels/cuda} at build time and shipped in the jar (loaded with cuModuleLoadData, no
 * NVRTC). Lowering, memory planning and weight residency are the device layer's
 * ({@link DeviceBackend}); this class holds the context, the stream and the loaded modules, and its
 * plans replay decode steps as one CUDA graph launch.
 */
public final class CudaBackend extends DeviceBackend {
    /** Largest head size: alibi_attention_split keeps the query, its accumulator and a chunk's probabilities in 48 KB of shared memory. */
    static final int MAX_HEAD_DIM = (48 * 1024 / 4 - CudaPlan.ATTENTION_CHUNK) / 2;

    final Cuda cu;
    final CudaDevice device;
    final MemorySegment stream;
    private final CudaContext ctx;
    private final Arena arena = Arena.ofShared();
    private final Map<String, MemorySegment> modules = new HashMap<>();

    private CudaBackend(CudaContext ctx, ProgressListener progress) {
        super(new CudaMemory(ctx), progress);
        this.ctx = ctx;
        this.cu = ctx.cu;
        this.device = ctx.device;
        this.stream = ctx.stream;
    }

    /** Why the CUDA backend cannot run here, or null when it can. */
    public static String unavailableReason() {
        if (!hasKernels()) return "this bloomj build has no CUDA kernels (it was built without nvcc)";
        if (Cuda.load().isEmpty()) return Cuda.unavailableReason();
        List<CudaDevice> devices = CudaDevice.discover();
        if (devices.isEmpty()) return "the CUDA driver reports no GPU";
        if (devices.stream().noneMatch(CudaDevice::usable)) return "no GPU of compute capability 8.0 or newer";
        return null;
    }

    static boolean hasKernels() {
        return CudaBackend.class.getResource("/kernels/cuda/matmul.BF16.sm80.ptx") != null;
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
        return new CudaBackend(new CudaContext(Cuda.load().orElseThrow(), d), progress);
    }

    void makeCurrent() {
        ctx.makeCurrent();
    }

    void synchronizeStream() {
        ctx.synchronize();
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

    /**
     * Every op has a kernel in kernels/cuda for every dtype (KernelFilesTest), within one limit: the
     * attention kernel's shared memory bounds the head size.
     */
    @Override
    public boolean supports(Op op) {
        return switch (op) {
            case Op.AlibiAttention a -> a.headDim() <= MAX_HEAD_DIM;
            default -> true;
        };
    }

    @Override
    public Set<Fusion> fusions() {
        return EnumSet.allOf(Fusion.class);
    }

    @Override
    protected long scratchBytes(Launch launch, Graph graph) {
        return CudaPlan.scratchBytes(launch, graph);
    }

    @Override
    protected RecordedPlan record(Graph graph, List<Launch> launches) {
        makeCurrent();
        return new CudaPlan(this, graph, launches);
    }

    /** The kernel {@code name} of module {@code file} (PTX for this device's architecture and the dtype). */
    synchronized MemorySegment function(String file, DType dtype, String name) {
        makeCurrent();
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

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        return deviceCopyProbe(Math.max(1 << 20, bytes));
    }

    @Override
    protected void copyAndWait(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        makeCurrent();
        cu.check((int) call(cu.cuMemcpyDtoD, dst.address(), src.address(), bytes), "cuMemcpyDtoD");
        cu.check((int) call(cu.cuCtxSynchronize), "cuCtxSynchronize");
    }

    @Override
    protected void finishWork() {
        makeCurrent();
        call(cu.cuCtxSynchronize);
    }

    @Override
    protected void releaseDevice() {
        for (MemorySegment m : modules.values()) call(cu.cuModuleUnload, m);
        modules.clear();
        ctx.close();
        arena.close();
    }
}
