package io.bloomj.compute.cuda;

import io.bloomj.compute.Buffer;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Step;
import io.bloomj.compute.device.DeviceBuffer;
import io.bloomj.compute.device.DeviceLaunch;
import io.bloomj.compute.device.Kernel;
import io.bloomj.compute.device.KernelArgs;
import io.bloomj.compute.device.KernelSignature;
import io.bloomj.compute.device.Launch;
import io.bloomj.compute.device.RecordedPlan;
import io.bloomj.compute.device.RowTables;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.bloomj.compute.cuda.Cuda.call;

/**
 * The CUDA binding of a lowered graph, with one thing the OpenCL one lacks: the step's sizes (rows,
 * logit rows) live in a small device buffer, the {@code StepInfo} of common.cuh, that kernels read
 * (positions and block tables are in RecordedPlan's row tables), so a decode step (one row, no
 * sampling) is captured once as a CUDA graph and then replayed with a single cuGraphLaunch per token. Other steps launch their kernels directly.
 */
final class CudaPlan extends RecordedPlan {
    static final int ATTENTION_CHUNK = 256;
    /**
     * Blocks per (head, row) of alibi_attention_split at most: each takes every MAX_SPLITS-th chunk
     * of keys. A batched graph always uses this many (its sequences' lengths are not known up front);
     * a one-sequence graph fewer when its context has fewer chunks. Either way a row whose keys fit
     * in MAX_SPLITS chunks gets one chunk per block, so its bits do not depend on the graph.
     */
    static final int MAX_SPLITS = 16;
    static final int ARGMAX_CHUNK = 4096;
    static final int LM_HEAD_WARPS = 8;
    /** argmax_final runs one thread per logit row, in blocks of this many. */
    static final int ARGMAX_FINAL_BLOCK = 32;

    private final CudaBackend cuda;
    private final Cuda cu;
    /** The device StepInfo: rows, logit rows. */
    private final DeviceBuffer stepInfo;
    private final MemorySegment hostStep;
    private MemorySegment decodeGraph;

    CudaPlan(CudaBackend backend, Graph graph, List<Launch> lowered) {
        super(backend, graph);
        this.cuda = backend;
        this.cu = backend.cu;
        this.stepInfo = scratch(16, "step");
        this.hostStep = arena.allocate(ValueLayout.JAVA_INT, 4);
        record(lowered);
    }

    /** Device scratch of one lowered launch beyond the graph's buffers (attention and argmax partials, gathered rows). */
    static long scratchBytes(Launch launch, Graph graph) {
        boolean batched = RowTables.of(graph).batched();
        return switch (launch.kernel()) {
            case Kernel.AlibiAttention a -> (long) graph.maxRows() * a.heads() * splits(a, batched) * (2 + a.headDim()) * 4
                    + 4L * a.heads();
            case Kernel.LmHeadArgmax h -> 8L * h.token().rows() * ceil(h.table().rows(), LM_HEAD_WARPS);
            case Kernel.LmHead h -> batched ? 4L * h.logits().rows() * h.table().cols() : 0;
            case Kernel.Argmax a -> 8L * a.token().rows() * ceil(a.logits().cols(), ARGMAX_CHUNK);
            default -> 0;
        };
    }

    private static int splits(Kernel.AlibiAttention a, boolean batched) {
        return batched ? MAX_SPLITS : Math.min(MAX_SPLITS, ceil(a.capacity(), ATTENTION_CHUNK));
    }

    private static int ceil(long a, long b) {
        return (int) ((a + b - 1) / b);
    }

    @Override
    protected void finish() {
        cuda.synchronizeStream();
    }

    @Override
    protected void beginStep(Step step) {
        super.beginStep(step);
        hostStep.setAtIndex(ValueLayout.JAVA_INT, 0, step.rows());
        hostStep.setAtIndex(ValueLayout.JAVA_INT, 1, step.logitRows());
        memory.write(stepInfo, 0, hostStep, 8);
    }

    /**
     * Replays a greedy one-row decode step from a CUDA graph captured at its first occurrence (its
     * row tables are device memory, rewritten before each step). Sampling steps change kernel
     * arguments (temperature, counter) every token and are launched directly, as are prompt steps.
     */
    @Override
    protected boolean replay(Step step, List<DeviceLaunch> launches) {
        if (step.rows() != 1 || step.decodeRows() != 1 || step.logitRows() != 1 || step.samples()) return false;
        if (decodeGraph == null) {
            cu.check((int) call(cu.cuStreamBeginCapture, cuda.stream, Cuda.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
            for (DeviceLaunch l : launches) if (l.source().runsIn(step)) l.run(step, false);
            MemorySegment g = arena.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuStreamEndCapture, cuda.stream, g), "cuStreamEndCapture");
            MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuGraphInstantiateWithFlags, exec, g.get(ValueLayout.ADDRESS, 0), 0L), "cuGraphInstantiateWithFlags");
            call(cu.cuGraphDestroy, g.get(ValueLayout.ADDRESS, 0));
            decodeGraph = exec.get(ValueLayout.ADDRESS, 0);
        }
        cu.check((int) call(cu.cuGraphLaunch, decodeGraph, cuda.stream), "cuGraphLaunch");
        return true;
    }

    @Override
    protected void closeDevice() {
        if (decodeGraph != null) call(cu.cuGraphExecDestroy, decodeGraph);
        decodeGraph = null;
    }

    @Override
    protected List<? extends DeviceLaunch> bind(Launch l) {
        return switch (l.kernel()) {
            case Kernel.Embedding e -> {
                int cols = e.table().cols();
                KernelArgs a = args(CudaSignatures.EMBEDDING).buffer("table", matrix(e.table())).buffer("S", scales(e.table())).i32("row0", 0)
                        .i32("nrows", e.table().rows()).buffer("tokens", tokens).buffer("out", buffer(e.out())).i32("cols", cols);
                yield List.of(launch(l, CudaSignatures.EMBEDDING, e.table().dtype(), a, DeviceLaunch.PerStep.NONE,
                        s -> new int[] {ceil(cols, 256), s.rows(), 1}, new int[] {256, 1, 1}, 0, 0));
            }
            case Kernel.LayerNorm n -> {
                int cols = n.in().cols();
                KernelArgs a = args(CudaSignatures.LAYER_NORM).buffer("x", buffer(n.in())).buffer("gamma", cuda.weights().vector(n.gamma(), cols))
                        .buffer("beta", cuda.weights().vector(n.beta(), cols)).buffer("y", buffer(n.out())).i32("cols", cols).f32("eps", n.eps());
                yield List.of(launch(l, CudaSignatures.LAYER_NORM, null, a, DeviceLaunch.PerStep.NONE, s -> new int[] {s.rows(), 1, 1},
                        new int[] {256, 1, 1}, 0, l.weightBytes()));
            }
            case Kernel.Matmul m -> List.of(matmul(l, m));
            case Kernel.LmHead h -> lmHead(l, h);
            case Kernel.LmHeadArgmax h -> lmHeadArgmax(l, h);
            case Kernel.Argmax am -> argmax(l, am);
            case Kernel.Gelu g -> {
                int cols = g.in().cols();
                KernelArgs a = args(CudaSignatures.GELU).buffer("x", buffer(g.in())).buffer("y", buffer(g.out())).buffer("step", stepInfo)
                        .i32("cols", cols);
                yield List.of(launch(l, CudaSignatures.GELU, null, a, DeviceLaunch.PerStep.NONE, elementwiseGrid(cols),
                        new int[] {256, 1, 1}, 0, 0));
            }
            case Kernel.Add ad -> {
                int cols = ad.out().cols();
                KernelArgs a = args(CudaSignatures.ADD).buffer("a", buffer(ad.a())).buffer("b", buffer(ad.b())).buffer("out", buffer(ad.out()))
                        .buffer("step", stepInfo).i32("cols", cols);
                yield List.of(launch(l, CudaSignatures.ADD, null, a, DeviceLaunch.PerStep.NONE, elementwiseGrid(cols),
                        new int[] {256, 1, 1}, 0, 0));
            }
            case Kernel.KvStore k -> {
                KernelArgs a = args(CudaSignatures.KV_STORE).buffer("qkv", buffer(k.qkv())).buffer("q", buffer(k.q()))
                        .buffer("kc", buffer(k.kCache())).buffer("vc", buffer(k.vCache())).i32("heads", k.heads()).i32("hd", k.headDim())
                        .i32("bs", k.capacity()).buffer("rowpos", rowpos).buffer("rowtab", rowtab).buffer("table", table);
                yield List.of(launch(l, CudaSignatures.KV_STORE, null, a, DeviceLaunch.PerStep.NONE, s -> new int[] {k.heads(), s.rows(), 1},
                        new int[] {128, 1, 1}, 0, 0));
            }
            case Kernel.AlibiAttention at -> attention(l, at);
            case Kernel.MarkSeen m -> {
                KernelArgs a = args(CudaSignatures.MARK_SEEN).buffer("tokens", tokens).buffer("seen", buffer(m.seen())).i32("rows", 1)
                        .buffer("rowslot", rowslot).i32("vocab", m.seen().cols());
                yield List.of(launch(l, CudaSignatures.MARK_SEEN, null, a, DeviceLaunch.PerStep.i32(CudaSignatures.MARK_SEEN, "rows", Step::rows),
                        s -> new int[] {ceil(s.rows(), 128), 1, 1}, new int[] {128, 1, 1}, 0, 0));
            }
            case Kernel.Sample sm -> sample(l, sm);
        };
    }

    // ------------------------------------------------------------------ helpers

    private KernelArgs args(KernelSignature sig) {
        return new KernelArgs(sig, arena);
    }

    private DeviceBuffer matrix(Weight w) {
        // The driver takes any allocation that fits, so a CUDA matrix is always one block.
        return cuda.weights().matrix(w).blocks().getFirst().buffer();
    }

    /** The Q8_0 scales of a matrix (a zero buffer for the float dtypes, which ignore them). */
    private DeviceBuffer scales(Weight w) {
        return cuda.weights().scalesOf(cuda.weights().matrix(w).blocks().getFirst());
    }

    private CudaLaunch launch(Launch l, KernelSignature sig, DType dtype, KernelArgs a, DeviceLaunch.PerStep perStep,
                              CudaLaunch.Grid grid, int[] block, int shared, long weightBytes) {
        return new CudaLaunch(l, cuda, cuda.function(CudaSignatures.fileOf(sig), dtype, sig.function()), a, perStep, grid, block, shared,
                weightBytes);
    }

    private static CudaLaunch.Grid elementwiseGrid(int cols) {
        return s -> new int[] {Math.min(65535, ceil((long) s.rows() * cols, 256)), 1, 1};
    }

    private KernelArgs matmulArgs(KernelSignature sig, Weight w, DeviceBuffer bias, Buffer x, Buffer y, int act, DeviceBuffer res,
                                  boolean hasRes) {
        return args(sig).buffer("W", matrix(w)).buffer("S", scales(w)).buffer("bias", bias).buffer("x", buffer(x)).i32("xoff", 0).buffer("y", buffer(y))
                .i32("yoff", 0).i32("ldy", y.cols()).i32("K", w.cols()).i32("N", w.rows()).i32("rows", 1).i32("act", act)
                .buffer("res", res).i32("has_res", hasRes ? 1 : 0).i32("yrow", 0);
    }

    /** Tensor cores for bf16 weights on sm_80+ when K allows 16-byte rows; CUDA cores otherwise (f16, f32, Q8_0). */
    private boolean tensorCores(Weight w) {
        return w.dtype() == DType.BF16 && cuda.device.major() >= 8 && w.cols() % 8 == 0;
    }

    private CudaLaunch matmul(Launch l, Kernel.Matmul m) {
        Weight w = m.weight();
        int N = w.rows();
        boolean hasRes = m.epilogue() == Kernel.Epilogue.RESIDUAL;
        int act = m.epilogue() == Kernel.Epilogue.GELU ? 1 : 0;
        DeviceBuffer res = buffer(hasRes ? m.residual() : m.out());
        DeviceBuffer bias = cuda.weights().vector(m.bias(), N);
        // The GEMV covers the step's decode rows [0, d), the GEMM its prompt rows [d, rows).
        if (m.variant() == Kernel.Variant.GEMV) {
            KernelArgs a = matmulArgs(CudaSignatures.MATMUL_GEMV, w, bias, m.in(), m.out(), act, res, hasRes);
            return launch(l, CudaSignatures.MATMUL_GEMV, w.dtype(), a, DeviceLaunch.PerStep.i32(CudaSignatures.MATMUL_GEMV, "rows", Step::decodeRows),
                    s -> new int[] {ceil(N, 8), 1, 1}, new int[] {256, 1, 1}, 0, l.weightBytes());
        }
        boolean tc = tensorCores(w);
        KernelSignature sig = tc ? CudaSignatures.MATMUL_GEMM_TC : CudaSignatures.MATMUL_GEMM;
        KernelArgs a = matmulArgs(sig, w, bias, m.in(), m.out(), act, res, hasRes);
        int K = w.cols();
        DeviceLaunch.PerStep rows = DeviceLaunch.PerStep.i32(sig, "rows", s -> s.rows() - s.decodeRows())
                .and(DeviceLaunch.PerStep.i32(sig, "xoff", s -> s.decodeRows() * K)).and(DeviceLaunch.PerStep.i32(sig, "yrow", Step::decodeRows));
        return launch(l, sig, w.dtype(), a, rows, s -> new int[] {ceil(N, 64), ceil(s.rows() - s.decodeRows(), 64), 1},
                tc ? new int[] {128, 1, 1} : new int[] {16, 16, 1}, 0, l.weightBytes());
    }

    /**
     * The LM head as a GEMV: a one-sequence step's logits rows are its last rows, read in place; a
     * batched step's are scattered among its rows, so they are gathered first into a buffer of their own.
     */
    private List<CudaLaunch> lmHead(Launch l, Kernel.LmHead h) {
        Weight w = h.table();
        int K = w.cols(), N = w.rows();
        KernelArgs a = matmulArgs(CudaSignatures.MATMUL_GEMV, w, cuda.weights().zeros(N), h.in(), h.logits(), 0, buffer(h.logits()), false);
        if (!batched) {
            return List.of(launch(l, CudaSignatures.MATMUL_GEMV, w.dtype(), a, DeviceLaunch.PerStep.lastRows(CudaSignatures.MATMUL_GEMV, K),
                    s -> new int[] {ceil(N, 8), 1, 1}, new int[] {256, 1, 1}, 0, l.weightBytes()));
        }
        DeviceBuffer gathered = scratch((long) h.logits().rows() * K * Float.BYTES, "gathered logits rows");
        KernelArgs g = args(CudaSignatures.GATHER_ROWS).buffer("x", buffer(h.in())).buffer("rows", logitrows).buffer("out", gathered).i32("K", K);
        a.buffer("x", gathered);
        return List.of(
                launch(l, CudaSignatures.GATHER_ROWS, null, g, DeviceLaunch.PerStep.NONE, s -> new int[] {ceil(K, 256), s.logitRows(), 1},
                        new int[] {256, 1, 1}, 0, 0),
                launch(l, CudaSignatures.MATMUL_GEMV, w.dtype(), a, DeviceLaunch.PerStep.i32(CudaSignatures.MATMUL_GEMV, "rows", Step::logitRows),
                        s -> new int[] {ceil(N, 8), 1, 1}, new int[] {256, 1, 1}, 0, l.weightBytes()));
    }

    private List<CudaLaunch> lmHeadArgmax(Launch l, Kernel.LmHeadArgmax h) {
        Weight w = h.table();
        int N = w.rows();
        int groups = ceil(N, LM_HEAD_WARPS);
        DeviceBuffer pv = scratch(4L * h.token().rows() * groups, "argmax partials");
        DeviceBuffer pi = scratch(4L * h.token().rows() * groups, "argmax partials");
        KernelArgs a = args(CudaSignatures.LM_HEAD_ARGMAX).buffer("W", matrix(w)).buffer("S", scales(w)).buffer("x", buffer(h.in())).buffer("xrows", logitrows).buffer("step", stepInfo)
                .i32("K", w.cols()).buffer("logits", buffer(h.logits())).i32("yoff", 0).i32("ldy", h.logits().cols()).i32("N", N)
                .buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups).i32("g0", 0);
        return List.of(launch(l, CudaSignatures.LM_HEAD_ARGMAX, w.dtype(), a, DeviceLaunch.PerStep.NONE, s -> new int[] {groups, 1, 1},
                new int[] {32 * LM_HEAD_WARPS, 1, 1}, 0, l.weightBytes()), argmaxFinal(l, pv, pi, groups, h.token()));
    }

    private List<CudaLaunch> argmax(Launch l, Kernel.Argmax am) {
        int vocab = am.logits().cols();
        int groups = ceil(vocab, ARGMAX_CHUNK);
        DeviceBuffer pv = scratch(4L * am.token().rows() * groups, "argmax partials");
        DeviceBuffer pi = scratch(4L * am.token().rows() * groups, "argmax partials");
        KernelArgs a = args(CudaSignatures.ARGMAX_PARTIAL).buffer("logits", buffer(am.logits())).i32("ld", vocab).i32("N", vocab)
                .i32("chunk", ARGMAX_CHUNK).buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups);
        return List.of(launch(l, CudaSignatures.ARGMAX_PARTIAL, null, a, DeviceLaunch.PerStep.NONE,
                s -> new int[] {groups, s.logitRows(), 1}, new int[] {256, 1, 1}, 0, 0), argmaxFinal(l, pv, pi, groups, am.token()));
    }

    private CudaLaunch argmaxFinal(Launch l, DeviceBuffer pv, DeviceBuffer pi, int groups, Buffer token) {
        KernelArgs a = args(CudaSignatures.ARGMAX_FINAL).buffer("partial_val", pv).buffer("partial_idx", pi).i32("groups", groups)
                .buffer("step", stepInfo).buffer("token", buffer(token));
        return launch(l, CudaSignatures.ARGMAX_FINAL, null, a, DeviceLaunch.PerStep.NONE, s -> new int[] {ceil(s.logitRows(), ARGMAX_FINAL_BLOCK), 1, 1},
                new int[] {ARGMAX_FINAL_BLOCK, 1, 1}, 0, 0);
    }

    /** The draws of {@link RecordedPlan#sampleLaunches}, each one block of 256 threads. */
    private List<CudaLaunch> sample(Launch l, Kernel.Sample sm) {
        return sampleLaunches(sm, CudaSignatures.SAMPLE, values -> {
            KernelArgs a = args(CudaSignatures.SAMPLE).buffer("logits", buffer(sm.logits())).i32("row", 0).i32("vocab", sm.logits().cols())
                    .buffer("seen_all", buffer(sm.seen())).i32("seen_row", 0).buffer("token", buffer(sm.token())).f32("temperature", 1f)
                    .i32("top_k", 0).f32("top_p", 1f).f32("min_p", 0f).f32("penalty", 1f).i64("seed", 0).i64("counter", 0);
            return launch(l, CudaSignatures.SAMPLE, null, a, values, s -> new int[] {1, 1, 1}, new int[] {256, 1, 1}, 0, 0);
        });
    }

    private List<CudaLaunch> attention(Launch l, Kernel.AlibiAttention at) {
        int hd = at.headDim(), heads = at.heads();
        int splits = splits(at, batched);
        DeviceBuffer partial = scratch((long) graph.maxRows() * heads * splits * (2 + hd) * 4, "attention partials");
        KernelArgs a = args(CudaSignatures.ALIBI_ATTENTION_SPLIT).buffer("q", buffer(at.q())).buffer("kc", buffer(at.kCache()))
                .buffer("vc", buffer(at.vCache())).buffer("slopes", constant(at.slopes(), "alibi slopes")).i32("heads", heads)
                .i32("hd", hd).i32("bs", at.capacity()).buffer("rowpos", rowpos).buffer("rowtab", rowtab).buffer("table", table)
                .f32("scale", at.scale()).buffer("partial", partial);
        KernelArgs c = args(CudaSignatures.ALIBI_ATTENTION_COMBINE).buffer("partial", partial).i32("heads", heads).i32("hd", hd)
                .i32("splits", splits).buffer("out", buffer(at.out()));
        return List.of(
                launch(l, CudaSignatures.ALIBI_ATTENTION_SPLIT, null, a, DeviceLaunch.PerStep.NONE, s -> new int[] {heads, splits, s.rows()},
                        new int[] {ATTENTION_CHUNK, 1, 1}, (2 * hd + ATTENTION_CHUNK) * 4, 0),
                launch(l, CudaSignatures.ALIBI_ATTENTION_COMBINE, null, c, DeviceLaunch.PerStep.NONE, s -> new int[] {heads, s.rows(), 1},
                        new int[] {128, 1, 1}, 0, 0));
    }
}
