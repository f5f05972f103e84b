package io.bloomj.compute.cuda;

import io.bloomj.compute.Buffer;
import io.bloomj.compute.DType;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.Profile;
import io.bloomj.compute.Step;
import io.bloomj.compute.StepBounds;
import io.bloomj.compute.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.bloomj.compute.cuda.Cuda.call;

/**
 * A graph recorded as kernel launches over device buffers, like the OpenCL plan, with one more
 * step: the per-step values (position, rows, logit rows) live in a small device buffer that the
 * kernels read, so a decode step (one row) is captured once as a CUDA graph and then replayed with
 * a single cuGraphLaunch per token. Prefill steps (many rows) launch their kernels directly.
 * Fusions as on OpenCL: matmul + GELU, matmul + residual add, LM head + argmax.
 */
final class CudaPlan implements ExecutionPlan {
    private static final int GEMV_MAX_ROWS = 2;
    private static final int ATTENTION_CHUNK = 256;
    private static final int ARGMAX_CHUNK = 4096;
    private static final int LM_HEAD_WARPS = 8;

    private interface Grid {
        int[] of(Step s);
    }

    private interface Dynamic {
        void set(Args a, Step s);
    }

    /** Kernel parameters: each value in its own 8-byte slot, and the array of slot addresses cuLaunchKernel takes. */
    private static final class Args {
        final MemorySegment slots;
        final MemorySegment pointers;
        int count;

        Args(Arena arena, int max) {
            slots = arena.allocate(8L * max, 8);
            pointers = arena.allocate(ValueLayout.ADDRESS, max);
        }

        private Args next() {
            pointers.setAtIndex(ValueLayout.ADDRESS, count, slots.asSlice(8L * count, 8));
            count++;
            return this;
        }

        Args ptr(long p) {
            slots.set(ValueLayout.JAVA_LONG, 8L * count, p);
            return next();
        }

        Args i32(int v) {
            slots.set(ValueLayout.JAVA_INT, 8L * count, v);
            return next();
        }

        Args f32(float v) {
            slots.set(ValueLayout.JAVA_FLOAT, 8L * count, v);
            return next();
        }

        void setInt(int index, int v) {
            slots.set(ValueLayout.JAVA_INT, 8L * index, v);
        }

        void setFloat(int index, float v) {
            slots.set(ValueLayout.JAVA_FLOAT, 8L * index, v);
        }

        void setLong(int index, long v) {
            slots.set(ValueLayout.JAVA_LONG, 8L * index, v);
        }
    }

    private record Launch(String kind, MemorySegment function, Grid grid, int[] block, int shared, Args args, Dynamic dynamic,
                          Predicate<Step> active, long weightBytes) {}

    private final CudaBackend backend;
    private final Cuda cu;
    private final Graph graph;
    private final StepBounds bounds;
    private final Arena arena = Arena.ofShared();
    private final Map<Buffer, Long> mems = new HashMap<>();
    private final Map<Long, Long> owned = new HashMap<>();
    private final List<Launch> launches = new ArrayList<>();
    private final long tokens;
    private final long stepBuffer;
    private final MemorySegment hostStep = arena.allocate(ValueLayout.JAVA_INT, 3);
    private final MemorySegment hostTokens;
    private final Profile profile = new Profile();
    private boolean profiling;
    private MemorySegment decodeGraph;
    private MemorySegment staging = MemorySegment.NULL;

    CudaPlan(CudaBackend backend, Graph graph) {
        this.backend = backend;
        this.cu = backend.cu;
        this.graph = graph;
        this.bounds = StepBounds.of(graph);
        for (Buffer b : graph.buffers()) mems.put(b, own(b.elements() * Float.BYTES, b.name()));
        tokens = own((long) graph.maxRows() * 4, "tokens");
        stepBuffer = own(16, "step");
        hostTokens = arena.allocate((long) graph.maxRows() * 4, 16);
        List<Op> ops = graph.ops();
        for (int i = 0; i < ops.size(); i++) i += record(ops, i);
    }

    /** Device scratch a graph needs beyond its buffers (attention partials, argmax partials), for memory planning. */
    static long scratchBytes(Graph graph) {
        long bytes = 0;
        for (Op op : graph.ops()) {
            if (op instanceof Op.AlibiAttention a) {
                long splits = (a.capacity() + ATTENTION_CHUNK - 1) / ATTENTION_CHUNK;
                bytes = Math.max(bytes, (long) graph.maxRows() * a.heads() * splits * (2 + a.headDim()) * 4);
            }
        }
        return bytes + (1L << 20);
    }

    private long own(long bytes, String what) {
        long p = backend.alloc(bytes, what);
        owned.put(p, bytes);
        return p;
    }

    private long mem(Buffer b) {
        return mems.get(b);
    }

    private Args args(int max) {
        return new Args(arena, max);
    }

    private static int ceil(long a, long b) {
        return (int) ((a + b - 1) / b);
    }

    private void add(String kind, MemorySegment f, Grid grid, int[] block, int shared, Args a, Dynamic d, Predicate<Step> active,
                     long bytes) {
        launches.add(new Launch(kind, f, grid, block, shared, a, d, active, bytes));
    }

    private static final Dynamic NONE = (a, s) -> { };

    private static Predicate<Step> always() {
        return s -> true;
    }

    private int record(List<Op> ops, int i) {
        Op op = ops.get(i);
        Op next = i + 1 < ops.size() ? ops.get(i + 1) : null;
        switch (op) {
            case Op.Embedding e -> embedding(e);
            case Op.LayerNorm n -> {
                int cols = n.in().cols();
                Args a = args(6).ptr(mem(n.in())).ptr(backend.vector(n.gamma())).ptr(backend.vector(n.beta())).ptr(mem(n.out()))
                        .i32(cols).f32(n.eps());
                add("layer_norm", backend.function("layer_norm", null, "layer_norm"), s -> new int[] {s.rows(), 1, 1},
                        new int[] {256, 1, 1}, 0, a, NONE, always(), n.gamma().byteSize() + n.beta().byteSize());
            }
            case Op.MatMul m -> {
                if (next instanceof Op.Gelu g && g.in().equals(m.out()) && g.out().equals(m.out())) {
                    matmul(m, 1, null, m.out(), "matmul+gelu");
                    return 1;
                }
                if (next instanceof Op.Add a && a.a().equals(m.out()) && !a.b().equals(m.out()) && graph.unreadAfter(i + 1, m.out())) {
                    matmul(m, 0, a.b(), a.out(), "matmul+add");
                    return 1;
                }
                matmul(m, 0, null, m.out(), "matmul");
            }
            case Op.LmHead h -> {
                if (next instanceof Op.Argmax a && a.logits().equals(h.logits())) {
                    lmHeadArgmax(h, a);
                    return 1;
                }
                lmHead(h);
            }
            case Op.Argmax a -> argmax(a);
            case Op.Sample sm -> sample(sm);
            case Op.Gelu g -> {
                int cols = g.in().cols();
                Args a = args(4).ptr(mem(g.in())).ptr(mem(g.out())).ptr(stepBuffer + 4).i32(cols);
                add("gelu", backend.function("gelu", null, "gelu"), s -> new int[] {Math.min(65535, ceil((long) s.rows() * cols, 256)), 1, 1},
                        new int[] {256, 1, 1}, 0, a, NONE, always(), 0);
            }
            case Op.Add ad -> {
                int cols = ad.out().cols();
                Args a = args(5).ptr(mem(ad.a())).ptr(mem(ad.b())).ptr(mem(ad.out())).ptr(stepBuffer + 4).i32(cols);
                add("add", backend.function("add", null, "add"), s -> new int[] {Math.min(65535, ceil((long) s.rows() * cols, 256)), 1, 1},
                        new int[] {256, 1, 1}, 0, a, NONE, always(), 0);
            }
            case Op.KvStore k -> {
                Args a = args(8).ptr(mem(k.qkv())).ptr(mem(k.q())).ptr(mem(k.kCache())).ptr(mem(k.vCache())).i32(k.heads())
                        .i32(k.headDim()).i32(k.capacity()).ptr(stepBuffer);
                add("kv_store", backend.function("kv_store", null, "kv_store"), s -> new int[] {k.heads(), s.rows(), 1},
                        new int[] {128, 1, 1}, 0, a, NONE, always(), 0);
            }
            case Op.AlibiAttention at -> attention(at);
        }
        return 0;
    }


    private void embedding(Op.Embedding e) {
        int cols = e.table().cols();
        Args a = args(6).ptr(backend.matrix(e.table())).i32(0).i32(e.table().rows()).ptr(tokens).ptr(mem(e.out())).i32(cols);
        add("embedding", backend.function("embedding", e.table().dtype(), "embedding"), s -> new int[] {ceil(cols, 256), s.rows(), 1},
                new int[] {256, 1, 1}, 0, a, NONE, always(), 0);
    }

    private void matmul(Op.MatMul m, int act, Buffer residual, Buffer out, String kind) {
        Weight w = m.weight();
        int K = w.cols(), N = w.rows();
        long bias = m.bias() == null ? backend.zeros(N) : backend.vector(m.bias());
        long res = residual == null ? mem(out) : mem(residual);
        long bytes = w.byteSize() + (m.bias() == null ? 0 : m.bias().byteSize());
        DType dt = w.dtype();
        Args gemv = matmulArgs(w, bias, mem(m.in()), 0, mem(out), 0, out.cols(), K, N, act, res, residual != null);
        add(kind, backend.function("matmul", dt, "matmul_gemv"), s -> new int[] {ceil(N, 8), 1, 1}, new int[] {256, 1, 1}, 0, gemv,
                (a, s) -> a.setInt(9, s.rows()), s -> s.rows() <= GEMV_MAX_ROWS, bytes);
        boolean tensorCores = dt == DType.BF16 && backend.device.major() >= 8 && K % 8 == 0;
        Args gemm = matmulArgs(w, bias, mem(m.in()), 0, mem(out), 0, out.cols(), K, N, act, res, residual != null);
        add(kind, backend.function("matmul", dt, tensorCores ? "matmul_gemm_tc" : "matmul_gemm"),
                s -> new int[] {ceil(N, 64), ceil(s.rows(), 64), 1}, tensorCores ? new int[] {128, 1, 1} : new int[] {16, 16, 1}, 0, gemm,
                (a, s) -> a.setInt(9, s.rows()), s -> s.rows() > GEMV_MAX_ROWS, bytes);
    }

    private Args matmulArgs(Weight w, long bias, long x, int xoff, long y, int yoff, int ldy, int K, int N, int act, long res, boolean hasRes) {
        return args(13).ptr(backend.matrix(w)).ptr(bias).ptr(x).i32(xoff).ptr(y).i32(yoff).i32(ldy).i32(K).i32(N).i32(1).i32(act)
                .ptr(res).i32(hasRes ? 1 : 0);
    }

    private void lmHead(Op.LmHead h) {
        Weight w = h.table();
        int K = w.cols(), N = w.rows();
        Args a = matmulArgs(w, backend.zeros(N), mem(h.in()), 0, mem(h.logits()), 0, h.logits().cols(), K, N, 0, mem(h.logits()), false);
        add("lm_head", backend.function("matmul", w.dtype(), "matmul_gemv"), s -> new int[] {ceil(N, 8), 1, 1}, new int[] {256, 1, 1},
                0, a, (args, s) -> {
                    args.setInt(3, (s.rows() - s.logitRows()) * K);
                    args.setInt(9, s.logitRows());
                }, always(), w.byteSize());
    }

    private void lmHeadArgmax(Op.LmHead h, Op.Argmax am) {
        Weight w = h.table();
        int K = w.cols(), N = w.rows();
        int groups = ceil(N, LM_HEAD_WARPS);
        int maxRows = am.token().rows();
        long pv = own((long) maxRows * groups * 4, "argmax partials"), pi = own((long) maxRows * groups * 4, "argmax partials");
        Args a = args(12).ptr(backend.matrix(w)).ptr(mem(h.in())).ptr(stepBuffer).i32(K).ptr(mem(h.logits())).i32(0)
                .i32(h.logits().cols()).i32(N).ptr(pv).ptr(pi).i32(groups).i32(0);
        add("lm_head+argmax", backend.function("lm_head", w.dtype(), "lm_head_argmax"), s -> new int[] {groups, 1, 1},
                new int[] {32 * LM_HEAD_WARPS, 1, 1}, 0, a, NONE, always(), w.byteSize());
        argmaxFinal(pv, pi, groups, am.token());
    }

    private void argmax(Op.Argmax am) {
        int vocab = am.logits().cols();
        int groups = ceil(vocab, ARGMAX_CHUNK);
        long pv = own((long) am.token().rows() * groups * 4, "argmax partials"), pi = own((long) am.token().rows() * groups * 4, "argmax partials");
        Args a = args(7).ptr(mem(am.logits())).i32(vocab).i32(vocab).i32(ARGMAX_CHUNK).ptr(pv).ptr(pi).i32(groups);
        add("argmax", backend.function("argmax", null, "argmax_partial"), s -> new int[] {groups, s.logitRows(), 1},
                new int[] {256, 1, 1}, 0, a, NONE, always(), 0);
        argmaxFinal(pv, pi, groups, am.token());
    }

    private void sample(Op.Sample sm) {
        Args mark = args(3).ptr(tokens).ptr(mem(sm.seen())).i32(1);
        add("sample", backend.function("sample", null, "mark_seen"), s -> new int[] {ceil(s.rows(), 128), 1, 1}, new int[] {128, 1, 1}, 0,
                mark, (a, s) -> a.setInt(2, s.rows()), always(), 0);
        int vocab = sm.logits().cols();
        Args a = args(12).ptr(mem(sm.logits())).i32(0).i32(vocab).ptr(mem(sm.seen())).ptr(mem(sm.token())).f32(1f).i32(0).f32(1f)
                .f32(0f).f32(1f).ptr(0).ptr(0);
        add("sample", backend.function("sample", null, "sample"), s -> new int[] {1, 1, 1}, new int[] {256, 1, 1}, 0, a, (args, s) -> {
            var p = s.sampling();
            args.setInt(1, s.logitRows() - 1);
            args.setFloat(5, p.temperature());
            args.setInt(6, p.topK());
            args.setFloat(7, p.topP());
            args.setFloat(8, p.minP());
            args.setFloat(9, p.repetitionPenalty());
            args.setLong(10, p.seed());
            args.setLong(11, p.counter());
        }, s -> s.sampling() != null, 0);
    }

    private void argmaxFinal(long pv, long pi, int groups, Buffer token) {
        Args a = args(5).ptr(pv).ptr(pi).i32(groups).ptr(stepBuffer).ptr(mem(token));
        add("argmax", backend.function("argmax", null, "argmax_final"), s -> new int[] {1, 1, 1}, new int[] {32, 1, 1}, 0, a, NONE,
                always(), 0);
    }

    private void attention(Op.AlibiAttention at) {
        int hd = at.headDim(), heads = at.heads();
        int splits = ceil(at.capacity(), ATTENTION_CHUNK);
        long partial = own((long) graph.maxRows() * heads * splits * (2 + hd) * 4, "attention partials");
        MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_FLOAT, at.slopes());
        long slopes = own(host.byteSize(), "alibi slopes");
        backend.upload(slopes, host, host.byteSize());
        Args a = args(10).ptr(mem(at.q())).ptr(mem(at.kCache())).ptr(mem(at.vCache())).ptr(slopes).i32(heads).i32(hd)
                .i32(at.capacity()).ptr(stepBuffer).f32(at.scale()).ptr(partial);
        add("alibi_attention", backend.function("alibi_attention", null, "alibi_attention_split"),
                s -> new int[] {heads, splits, s.rows()}, new int[] {ATTENTION_CHUNK, 1, 1}, (hd + ATTENTION_CHUNK) * 4, a, NONE, always(), 0);
        Args c = args(5).ptr(partial).i32(heads).i32(hd).i32(splits).ptr(mem(at.out()));
        add("alibi_attention", backend.function("alibi_attention", null, "alibi_attention_combine"),
                s -> new int[] {heads, s.rows(), 1}, new int[] {128, 1, 1}, 0, c, NONE, always(), 0);
    }

    // ------------------------------------------------------------------ execution

    @Override
    public void execute(Step step) {
        bounds.check(step);
        synchronized (backend) {
            backend.makeCurrent();
            cu.check((int) call(cu.cuStreamSynchronize, backend.stream), "cuStreamSynchronize");
            int[] t = step.tokens();
            MemorySegment.copy(t, 0, hostTokens, ValueLayout.JAVA_INT, 0, t.length);
            backend.upload(tokens, hostTokens, (long) t.length * 4);
            hostStep.setAtIndex(ValueLayout.JAVA_INT, 0, step.position());
            hostStep.setAtIndex(ValueLayout.JAVA_INT, 1, step.rows());
            hostStep.setAtIndex(ValueLayout.JAVA_INT, 2, step.logitRows());
            backend.upload(stepBuffer, hostStep, 12);
            // Sampling steps change kernel arguments (temperature, counter) every token: launched directly.
            if (step.rows() == 1 && step.logitRows() == 1 && step.sampling() == null && !profiling) {
                replayDecodeGraph(step);
            } else {
                for (Launch l : launches) {
                    if (l.active().test(step)) launch(l, step);
                }
            }
        }
    }

    /** Captures the one-row step once (all launches, in order) and replays it with one cuGraphLaunch. */
    private void replayDecodeGraph(Step step) {
        if (decodeGraph == null) {
            cu.check((int) call(cu.cuStreamBeginCapture, backend.stream, Cuda.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
            for (Launch l : launches) if (l.active().test(step)) launch(l, step);
            MemorySegment g = arena.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuStreamEndCapture, backend.stream, g), "cuStreamEndCapture");
            MemorySegment exec = arena.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuGraphInstantiateWithFlags, exec, g.get(ValueLayout.ADDRESS, 0), 0L), "cuGraphInstantiateWithFlags");
            call(cu.cuGraphDestroy, g.get(ValueLayout.ADDRESS, 0));
            decodeGraph = exec.get(ValueLayout.ADDRESS, 0);
        }
        cu.check((int) call(cu.cuGraphLaunch, decodeGraph, backend.stream), "cuGraphLaunch");
    }

    private void launch(Launch l, Step step) {
        int[] g = l.grid().of(step);
        l.dynamic().set(l.args(), step);
        MemorySegment start = null, end = null;
        if (profiling) {
            start = event();
            end = event();
            cu.check((int) call(cu.cuEventRecord, start, backend.stream), "cuEventRecord");
        }
        int status = cu.launch(l.function(), g[0], g[1], g[2], l.block()[0], l.block()[1], l.block()[2], l.shared(), backend.stream,
                l.args().pointers);
        cu.check(status, "cuLaunchKernel(" + l.kind() + ")");
        if (profiling) {
            cu.check((int) call(cu.cuEventRecord, end, backend.stream), "cuEventRecord");
            cu.check((int) call(cu.cuEventSynchronize, end), "cuEventSynchronize");
            profile.record(l.kind(), (long) (Cuda.elapsedMs(cu, start, end) * 1e6), l.weightBytes());
            call(cu.cuEventDestroy, start);
            call(cu.cuEventDestroy, end);
        }
    }

    private MemorySegment event() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ValueLayout.ADDRESS);
            cu.check((int) call(cu.cuEventCreate, e, 0), "cuEventCreate");
            return e.get(ValueLayout.ADDRESS, 0);
        }
    }

    @Override
    public void synchronize() {
        synchronized (backend) {
            backend.makeCurrent();
            cu.check((int) call(cu.cuStreamSynchronize, backend.stream), "cuStreamSynchronize");
        }
    }

    @Override
    public void read(Buffer buffer, int rows, float[] dst) {
        long bytes = (long) rows * buffer.cols() * 4;
        synchronized (backend) {
            synchronize();
            MemorySegment host = staging(bytes);
            cu.check((int) call(cu.cuMemcpyDtoH, host, mem(buffer), bytes), "cuMemcpyDtoH(" + buffer.name() + ")");
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, dst, 0, rows * buffer.cols());
        }
    }

    @Override
    public void write(Buffer buffer, int rows, float[] src) {
        long bytes = (long) rows * buffer.cols() * 4;
        synchronized (backend) {
            synchronize();
            MemorySegment host = staging(bytes);
            MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, 0, rows * buffer.cols());
            backend.upload(mem(buffer), host, bytes);
        }
    }

    private MemorySegment staging(long bytes) {
        if (staging.byteSize() < bytes) staging = arena.allocate(bytes, 64);
        return staging;
    }

    @Override
    public void setProfiling(boolean enabled) {
        profiling = enabled;
    }

    @Override
    public Profile profile() {
        return profile;
    }

    @Override
    public void close() {
        synchronized (backend) {
            backend.makeCurrent();
            call(cu.cuStreamSynchronize, backend.stream);
            if (decodeGraph != null) call(cu.cuGraphExecDestroy, decodeGraph);
            for (Map.Entry<Long, Long> e : owned.entrySet()) backend.free(e.getKey(), e.getValue());
            owned.clear();
        }
        arena.close();
    }
}
