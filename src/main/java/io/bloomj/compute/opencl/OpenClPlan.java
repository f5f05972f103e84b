package io.bloomj.compute.opencl;

import io.bloomj.compute.Buffer;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Step;
import io.bloomj.compute.device.DeviceBuffer;
import io.bloomj.compute.device.DeviceLaunch;
import io.bloomj.compute.device.DeviceMatrix;
import io.bloomj.compute.device.Kernel;
import io.bloomj.compute.device.KernelArgs;
import io.bloomj.compute.device.KernelSignature;
import io.bloomj.compute.device.Launch;
import io.bloomj.compute.device.RecordedPlan;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL binding of a lowered graph: each {@link Kernel} becomes launches of the kernels in
 * {@code kernels/opencl} (per weight block where a matrix is split), arguments bound by name once;
 * a step re-sets only the row count, the position or the sampling values. The kernel style
 * ({@link KernelStyle}) picks between one-work-item-per-row kernels (CPU devices) and
 * work-group kernels with local reductions (GPUs).
 */
final class OpenClPlan extends RecordedPlan {
    static final int ARGMAX_CHUNK = 4096;

    private final OpenClBackend cl;
    private final ClContext ctx;
    private final boolean gpu;
    private final WorkGroups groups;

    OpenClPlan(OpenClBackend backend, Graph graph, List<Launch> lowered) {
        super(backend, graph);
        this.cl = backend;
        this.ctx = backend.ctx;
        this.gpu = backend.style() == KernelStyle.GPU;
        this.groups = backend.workGroups();
        record(lowered);
    }

    private int gemvGroup() {
        return groups.gemv();
    }

    @Override
    protected void finish() {
        ctx.finish();
    }

    @Override
    protected List<? extends DeviceLaunch> bind(Launch l) {
        return switch (l.kernel()) {
            case Kernel.Embedding e -> embedding(l, e);
            case Kernel.LayerNorm n -> List.of(layerNorm(l, n));
            case Kernel.Matmul m -> matmul(l, m);
            case Kernel.LmHead h -> lmHead(l, h);
            case Kernel.LmHeadArgmax h -> lmHeadArgmax(l, h);
            case Kernel.Argmax a -> argmax(l, a);
            case Kernel.Gelu g -> List.of(launch(l, ClSignatures.GELU, null, 0, args(ClSignatures.GELU).buffer("x", buffer(g.in()))
                    .buffer("y", buffer(g.out())).i32("n", 0), DeviceLaunch.PerStep.i32(ClSignatures.GELU, "n", s -> s.rows() * g.in().cols()),
                    s -> new long[] {(long) s.rows() * g.in().cols()}, null, 0));
            case Kernel.Add ad -> List.of(launch(l, ClSignatures.ADD, null, 0, args(ClSignatures.ADD).buffer("a", buffer(ad.a()))
                    .buffer("b", buffer(ad.b())).buffer("out", buffer(ad.out())).i32("n", 0), DeviceLaunch.PerStep.i32(ClSignatures.ADD, "n", s -> s.rows() * ad.out().cols()),
                    s -> new long[] {(long) s.rows() * ad.out().cols()}, null, 0));
            case Kernel.KvStore k -> List.of(kvStore(l, k));
            case Kernel.AlibiAttention a -> List.of(attention(l, a));
            case Kernel.MarkSeen m -> List.of(launch(l, ClSignatures.MARK_SEEN, null, 0, args(ClSignatures.MARK_SEEN).buffer("tokens", tokens)
                    .buffer("seen", buffer(m.seen())).i32("rows", 0).buffer("rowslot", rowslot).i32("vocab", m.seen().cols()),
                    DeviceLaunch.PerStep.i32(ClSignatures.MARK_SEEN, "rows", Step::rows), s -> new long[] {s.rows()}, null, 0));
            case Kernel.Sample sm -> sample(l, sm);
        };
    }

    // ------------------------------------------------------------------ helpers

    private KernelArgs args(KernelSignature sig) {
        return new KernelArgs(sig, arena);
    }

    /** Builds (or takes from the cache) the program of {@code file} for this dtype / head size and creates the kernel. */
    private ClKernel kernel(String file, KernelSignature sig, DType dtype, int headDim) {
        StringBuilder options = new StringBuilder("-cl-std=CL1.2 -cl-mad-enable -cl-kernel-arg-info");
        if (dtype != null) options.append(" -DW_").append(dtype.name());
        if (headDim > 0) options.append(" -DHD=").append(headDim);
        return new ClKernel(ctx, cl.programs.program(file, options.toString()), sig);
    }

    private ClLaunch launch(Launch l, KernelSignature sig, DType dtype, int headDim, KernelArgs args, DeviceLaunch.PerStep perStep,
                            ClLaunch.Global global, long[] local, long weightBytes) {
        ClKernel k = kernel(ClSignatures.fileOf(sig), sig, dtype, headDim);
        try {
            return new ClLaunch(l, ctx, k, args, perStep, global, local, weightBytes, arena);
        } catch (RuntimeException e) {
            k.close();
            throw e;
        }
    }

    private List<ClLaunch> embedding(Launch l, Kernel.Embedding e) {
        int cols = e.table().cols();
        List<ClLaunch> out = new ArrayList<>();
        for (DeviceMatrix.Block b : cl.weights().matrix(e.table()).blocks()) {
            KernelArgs a = args(ClSignatures.EMBEDDING).buffer("table", b.buffer()).buffer("S", cl.weights().scalesOf(b)).i32("row0", b.row0()).i32("nrows", b.rows())
                    .buffer("tokens", tokens).buffer("out", buffer(e.out())).i32("cols", cols);
            out.add(launch(l, ClSignatures.EMBEDDING, e.table().dtype(), 0, a, DeviceLaunch.PerStep.NONE,
                    s -> new long[] {cols, s.rows()}, null, 0));
        }
        return out;
    }

    private ClLaunch layerNorm(Launch l, Kernel.LayerNorm n) {
        int cols = n.in().cols();
        int local = gpu ? Math.min(groups.layerNorm(), Integer.highestOneBit(cols)) : 1;
        KernelArgs a = args(ClSignatures.LAYER_NORM).buffer("x", buffer(n.in())).buffer("gamma", cl.weights().vector(n.gamma(), cols))
                .buffer("beta", cl.weights().vector(n.beta(), cols)).buffer("y", buffer(n.out())).i32("cols", cols).f32("eps", n.eps())
                .local("scratch", (long) local * Float.BYTES);
        return launch(l, ClSignatures.LAYER_NORM, null, 0, a, DeviceLaunch.PerStep.NONE, s -> new long[] {(long) local * s.rows()},
                new long[] {local}, l.weightBytes());
    }

    /** The GEMV signature of this kernel style. */
    private KernelSignature gemv() {
        return gpu ? ClSignatures.MATMUL_GEMV : ClSignatures.MATMUL_GEMV_ROWS4;
    }

    /** Arguments shared by the GEMV and GEMM kernels for one weight block. */
    private KernelArgs matmulArgs(KernelSignature sig, DeviceMatrix.Block b, DeviceBuffer bias, Buffer x, Buffer y, int K, int act,
                                  DeviceBuffer res, boolean hasRes) {
        KernelArgs a = args(sig).buffer("W", b.buffer()).buffer("S", cl.weights().scalesOf(b)).buffer("bias", bias).buffer("x", buffer(x)).i32("xoff", 0)
                .buffer("y", buffer(y)).i32("yoff", b.row0()).i32("ldy", y.cols()).i32("K", K).i32("N", b.rows()).i32("rows", 1)
                .i32("act", act).buffer("res", res).i32("has_res", hasRes ? 1 : 0).i32("yrow", 0);
        if (sig == ClSignatures.MATMUL_GEMV) a.local("scratch", (long) gemvGroup() * Float.BYTES);
        return a;
    }

    /** Global size of a GEMV over a block of {@code rows} outputs: a group per output (GPU) or an item per four (CPU). */
    private ClLaunch.Global gemvGlobal(int rows) {
        int wg = gemvGroup();
        return gpu ? s -> new long[] {(long) rows * wg} : s -> new long[] {(rows + 3) / 4};
    }

    private List<ClLaunch> matmul(Launch l, Kernel.Matmul m) {
        Weight w = m.weight();
        int K = w.cols();
        DeviceBuffer bias = cl.weights().vector(m.bias(), w.rows());
        boolean hasRes = m.epilogue() == Kernel.Epilogue.RESIDUAL;
        DeviceBuffer res = buffer(hasRes ? m.residual() : m.out());
        int act = m.epilogue() == Kernel.Epilogue.GELU ? 1 : 0;
        boolean gemv = m.variant() == Kernel.Variant.GEMV;
        KernelSignature sig = gemv ? gemv() : ClSignatures.MATMUL_GEMM;
        List<ClLaunch> out = new ArrayList<>();
        for (DeviceMatrix.Block b : cl.weights().matrix(w).blocks()) {
            long bytes = (long) b.rows() * K * w.dtype().bytes() + (m.bias() == null ? 0 : m.bias().byteSize());
            KernelArgs a = matmulArgs(sig, b, bias, m.in(), m.out(), K, act, res, hasRes);
            // The GEMV covers the step's decode rows [0, d), the GEMM its prompt rows [d, rows).
            ClLaunch.Global global = gemv ? gemvGlobal(b.rows()) : s -> new long[] {(b.rows() + 3) / 4, (s.rows() - s.decodeRows() + 3) / 4};
            long[] local = gemv && gpu ? new long[] {gemvGroup()} : null;
            DeviceLaunch.PerStep rows = gemv ? DeviceLaunch.PerStep.i32(sig, "rows", Step::decodeRows)
                    : DeviceLaunch.PerStep.i32(sig, "rows", s -> s.rows() - s.decodeRows()).and(DeviceLaunch.PerStep.i32(sig, "xoff", s -> s.decodeRows() * K))
                            .and(DeviceLaunch.PerStep.i32(sig, "yrow", Step::decodeRows));
            out.add(launch(l, sig, w.dtype(), 0, a, rows, global, local, bytes));
        }
        return out;
    }

    private List<ClLaunch> lmHead(Launch l, Kernel.LmHead h) {
        Weight w = h.table();
        int K = w.cols();
        KernelSignature sig = gemv();
        List<ClLaunch> out = new ArrayList<>();
        DeviceBuffer x = lmHeadInput(l, h.in(), h.logits().rows(), K, out);
        for (DeviceMatrix.Block b : cl.weights().matrix(w).blocks()) {
            KernelArgs a = matmulArgs(sig, b, cl.weights().zeros(w.rows()), h.in(), h.logits(), K, 0, buffer(h.logits()), false).buffer("x", x);
            out.add(launch(l, sig, w.dtype(), 0, a, lmHeadRows(sig, K), gemvGlobal(b.rows()), gpu ? new long[] {gemvGroup()} : null,
                    (long) b.rows() * K * w.dtype().bytes()));
        }
        return out;
    }

    /**
     * The LM head's input: a batched step's logits rows are scattered among its rows, so they are
     * gathered first (a launch added to {@code out}) into a buffer of their own; one sequence's are
     * its last rows, read in place.
     */
    private DeviceBuffer lmHeadInput(Launch l, Buffer in, int logitRows, int K, List<ClLaunch> out) {
        if (!batched) return buffer(in);
        DeviceBuffer gathered = scratch((long) logitRows * K * Float.BYTES, "gathered logits rows");
        KernelArgs a = args(ClSignatures.GATHER_ROWS).buffer("x", buffer(in)).buffer("rows", logitrows).buffer("out", gathered).i32("K", K);
        out.add(launch(l, ClSignatures.GATHER_ROWS, null, 0, a, DeviceLaunch.PerStep.NONE, s -> new long[] {K, s.logitRows()}, null, 0));
        return gathered;
    }

    /** The LM head's rows: the gathered ones from 0 (batched), or the step's last rows (one sequence). */
    private DeviceLaunch.PerStep lmHeadRows(KernelSignature sig, int K) {
        return batched ? DeviceLaunch.PerStep.i32(sig, "rows", Step::logitRows) : DeviceLaunch.PerStep.lastRows(sig, K);
    }

    private List<ClLaunch> lmHeadArgmax(Launch l, Kernel.LmHeadArgmax h) {
        Weight w = h.table();
        int K = w.cols();
        int lmGroup = groups.lmHead();
        int perGroup = 4 * lmGroup;   // logits per work-group: 4 per work-item
        List<DeviceMatrix.Block> blocks = cl.weights().matrix(w).blocks();
        int groups = 0;
        for (DeviceMatrix.Block b : blocks) groups += (b.rows() + perGroup - 1) / perGroup;
        DeviceBuffer pv = scratch((long) h.token().rows() * groups * 4, "argmax partials");
        DeviceBuffer pi = scratch((long) h.token().rows() * groups * 4, "argmax partials");
        List<ClLaunch> out = new ArrayList<>();
        DeviceBuffer x = lmHeadInput(l, h.in(), h.logits().rows(), K, out);
        int g0 = 0;
        for (DeviceMatrix.Block b : blocks) {
            KernelArgs a = args(ClSignatures.LM_HEAD_ARGMAX).buffer("W", b.buffer()).buffer("S", cl.weights().scalesOf(b)).buffer("x", x).i32("xoff", 0)
                    .buffer("logits", buffer(h.logits())).i32("yoff", b.row0()).i32("ldy", h.logits().cols()).i32("K", K)
                    .i32("N", b.rows()).i32("rows", 1).buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups)
                    .i32("g0", g0).local("lval", lmGroup * Float.BYTES).local("lidx", lmGroup * Integer.BYTES);
            long items = (b.rows() + 3) / 4;
            out.add(launch(l, ClSignatures.LM_HEAD_ARGMAX, w.dtype(), 0, a,
                    lmHeadRows(ClSignatures.LM_HEAD_ARGMAX, K), s -> new long[] {items}, new long[] {lmGroup}, (long) b.rows() * K * w.dtype().bytes()));
            g0 += (b.rows() + perGroup - 1) / perGroup;
        }
        out.add(argmaxFinal(l, pv, pi, groups, h.token()));
        return out;
    }

    private List<ClLaunch> argmax(Launch l, Kernel.Argmax am) {
        int vocab = am.logits().cols();
        int groups = (vocab + ARGMAX_CHUNK - 1) / ARGMAX_CHUNK;
        DeviceBuffer pv = scratch((long) am.token().rows() * groups * 4, "argmax partials");
        DeviceBuffer pi = scratch((long) am.token().rows() * groups * 4, "argmax partials");
        KernelArgs a = args(ClSignatures.ARGMAX_PARTIAL).buffer("logits", buffer(am.logits())).i32("ld", vocab).i32("N", vocab)
                .i32("chunk", ARGMAX_CHUNK).buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups);
        return List.of(launch(l, ClSignatures.ARGMAX_PARTIAL, null, 0, a, DeviceLaunch.PerStep.NONE,
                s -> new long[] {groups, s.logitRows()}, null, 0), argmaxFinal(l, pv, pi, groups, am.token()));
    }

    private ClLaunch argmaxFinal(Launch l, DeviceBuffer pv, DeviceBuffer pi, int groups, Buffer token) {
        KernelArgs a = args(ClSignatures.ARGMAX_FINAL).buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups)
                .buffer("token", buffer(token));
        return launch(l, ClSignatures.ARGMAX_FINAL, null, 0, a, DeviceLaunch.PerStep.NONE, s -> new long[] {s.logitRows()}, null, 0);
    }

    /** The draws of {@link RecordedPlan#sampleLaunches}, each one work-group. */
    private List<ClLaunch> sample(Launch l, Kernel.Sample sm) {
        return sampleLaunches(sm, ClSignatures.SAMPLE, values -> {
            KernelArgs a = args(ClSignatures.SAMPLE).buffer("logits", buffer(sm.logits())).i32("row", 0).i32("vocab", sm.logits().cols())
                    .buffer("seen_all", buffer(sm.seen())).i32("seen_row", 0).buffer("token", buffer(sm.token())).f32("temperature", 1f)
                    .i32("top_k", 0).f32("top_p", 1f).f32("min_p", 0f).f32("penalty", 1f).i64("seed", 0).i64("counter", 0)
                    .local("sf", groups.sample() * Float.BYTES).local("si", groups.sample() * Integer.BYTES);
            return launch(l, ClSignatures.SAMPLE, null, 0, a, values, s -> new long[] {groups.sample()}, new long[] {groups.sample()}, 0);
        });
    }

    private ClLaunch kvStore(Launch l, Kernel.KvStore k) {
        KernelArgs a = args(ClSignatures.KV_STORE).buffer("qkv", buffer(k.qkv())).buffer("q", buffer(k.q())).buffer("kc", buffer(k.kCache()))
                .buffer("vc", buffer(k.vCache())).i32("heads", k.heads()).i32("bs", k.capacity()).buffer("rowpos", rowpos)
                .buffer("rowtab", rowtab).buffer("table", table);
        return launch(l, ClSignatures.KV_STORE, null, k.headDim(), a, DeviceLaunch.PerStep.NONE,
                s -> new long[] {k.headDim(), k.heads(), s.rows()}, null, 0);
    }

    /** Whether the work-group attention fits this device (GPU style, group size and local memory). */
    static boolean workGroupAttention(ClDevice device, KernelStyle style, int group, int headDim) {
        long localBytes = (long) group * (2 + headDim) * Float.BYTES;
        return style == KernelStyle.GPU && group <= device.maxWorkGroupSize() && localBytes <= device.localMemory();
    }

    private ClLaunch attention(Launch l, Kernel.AlibiAttention at) {
        int hd = at.headDim();
        int group = groups.attention();
        boolean wg = workGroupAttention(ctx.device, cl.style(), group, hd);
        KernelSignature sig = wg ? ClSignatures.ALIBI_ATTENTION_WG : ClSignatures.ALIBI_ATTENTION;
        KernelArgs a = args(sig).buffer("q", buffer(at.q())).buffer("kc", buffer(at.kCache())).buffer("vc", buffer(at.vCache()))
                .buffer("out", buffer(at.out())).buffer("slopes", constant(at.slopes(), "alibi slopes")).i32("heads", at.heads())
                .i32("bs", at.capacity()).buffer("rowpos", rowpos).buffer("rowtab", rowtab).buffer("table", table).f32("scale", at.scale());
        if (wg) {
            a.local("lm", group * Float.BYTES).local("ll", group * Float.BYTES).local("lacc", (long) group * hd * Float.BYTES);
        }
        return launch(l, sig, null, hd, a, DeviceLaunch.PerStep.NONE,
                wg ? s -> new long[] {(long) at.heads() * group, s.rows()} : s -> new long[] {at.heads(), s.rows()},
                wg ? new long[] {group, 1} : null, 0);
    }
}
