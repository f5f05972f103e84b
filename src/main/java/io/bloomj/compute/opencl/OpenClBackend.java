package io.bloomj.compute.opencl;

import io.bloomj.BloomjException;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.compute.device.DeviceBackend;
import io.bloomj.compute.device.DeviceBuffer;
import io.bloomj.compute.device.Fusion;
import io.bloomj.compute.device.Kernel;
import io.bloomj.compute.device.Launch;
import io.bloomj.compute.device.RecordedPlan;
import io.bloomj.tensor.ProgressListener;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs graphs on an OpenCL 1.2+ device through java.lang.foreign. Lowering, memory planning and
 * weight residency are the device layer's ({@link DeviceBackend}); this class holds the context, the
 * compiled programs and the kernel style.
 *
 * <pre>{@code
 * try (OpenClBackend cl = OpenClBackend.open(0, KernelStyle.AUTO, ProgressListener.NONE)) { ... }
 * }</pre>
 */
public final class OpenClBackend extends DeviceBackend {
    /** Head sizes the attention kernels keep in private arrays of HD floats. */
    static final int MAX_HEAD_DIM = 256;

    final ClContext ctx;
    final ClPrograms programs;
    private final KernelStyle style;
    private final WorkGroups workGroups;

    private OpenClBackend(ClContext ctx, KernelStyle style, WorkGroups workGroups, Path cacheDir, ProgressListener progress) {
        super(new ClMemory(ctx), progress);
        this.ctx = ctx;
        this.style = style.resolve(ctx.device);
        this.workGroups = workGroups == null ? WorkGroups.defaults(ctx.device) : workGroups.fittedTo(ctx.device);
        this.programs = new ClPrograms(ctx, cacheDir);
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
        return open(index, style, null, cacheDir, progress);
    }

    /** As {@link #open(int, KernelStyle, ProgressListener)} with chosen work-group sizes (null: {@link WorkGroups#defaults}). */
    public static OpenClBackend open(int index, KernelStyle style, WorkGroups workGroups, ProgressListener progress) {
        return open(index, style, workGroups, ClPrograms.defaultCacheDir(), progress);
    }

    /** As {@link #open(int, KernelStyle, WorkGroups, ProgressListener)}, with the compiled-binary cache in {@code cacheDir} (null: none). */
    public static OpenClBackend open(int index, KernelStyle style, WorkGroups workGroups, Path cacheDir, ProgressListener progress) {
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
        return new OpenClBackend(new ClContext(cl, device), style, workGroups, cacheDir, progress);
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

    /** Null when an OpenCL device exists here, else the reason. */
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

    public WorkGroups workGroups() {
        return workGroups;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String description() {
        ClDevice d = ctx.device;
        return String.format(Locale.ROOT, "OpenCL %s (%s, %s), %d compute units, %.1f GB, %s kernels%s", d.name(), d.platformName(),
                d.driverVersion(), d.computeUnits(), d.globalMemory() / 1e9, style.name().toLowerCase(Locale.ROOT),
                workGroups.equals(WorkGroups.defaults(d)) ? "" : ", " + workGroups);
    }

    /**
     * Every op has a kernel in kernels/opencl for every dtype (KernelFilesTest); attention keeps a
     * head's query and accumulator in private arrays, so head sizes are bounded.
     */
    @Override
    public boolean supports(Op op) {
        return switch (op) {
            case Op.AlibiAttention a -> a.headDim() <= MAX_HEAD_DIM;
            default -> true;
        };
    }

    /** GPU-style kernels leave argmax candidates per work-group only in the CPU-style LM head. */
    @Override
    public Set<Fusion> fusions() {
        return style == KernelStyle.CPU ? EnumSet.allOf(Fusion.class) : EnumSet.of(Fusion.MATMUL_GELU, Fusion.MATMUL_RESIDUAL);
    }

    @Override
    protected long scratchBytes(Launch launch, Graph graph) {
        boolean batched = io.bloomj.compute.device.RowTables.of(graph).batched();
        return switch (launch.kernel()) {
            case Kernel.LmHeadArgmax h -> 8L * h.token().rows() * (h.table().rows() / (4 * workGroups.lmHead()) + 2)
                    + (batched ? 4L * h.logits().rows() * h.table().cols() : 0);
            case Kernel.LmHead h -> batched ? 4L * h.logits().rows() * h.table().cols() : 0;
            case Kernel.Argmax a -> 8L * a.token().rows() * (a.logits().cols() / OpenClPlan.ARGMAX_CHUNK + 1);
            case Kernel.AlibiAttention a -> 4L * a.heads();
            default -> 0;
        };
    }

    @Override
    protected RecordedPlan record(Graph graph, List<Launch> launches) {
        return new OpenClPlan(this, graph, launches);
    }

    @Override
    public MemoryProbe memoryProbe(long bytes) {
        return deviceCopyProbe(Math.min(bytes, ctx.device.maxAllocation()));
    }

    @Override
    protected void copyAndWait(DeviceBuffer src, DeviceBuffer dst, long bytes) {
        OpenCl.check((int) OpenCl.call(ctx.cl.clEnqueueCopyBuffer, ctx.queue, MemorySegment.ofAddress(src.address()),
                MemorySegment.ofAddress(dst.address()), 0L, 0L, bytes, 0, MemorySegment.NULL, MemorySegment.NULL), "clEnqueueCopyBuffer");
        ctx.finish();
    }

    @Override
    protected void finishWork() {
        ctx.finish();
    }

    @Override
    protected void releaseDevice() {
        programs.close();
        ctx.close();
    }
}
