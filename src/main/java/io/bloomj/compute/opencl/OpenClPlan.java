package io.bloomj.compute.opencl;

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
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import static io.bloomj.compute.opencl.OpenCl.check;

/**
 * A graph recorded as a fixed list of kernel launches over device buffers. Arguments that never
 * change (buffers, sizes) are bound once when the plan is built; a step re-sets only the position
 * and the row count, uploads the token ids, and enqueues the launches. Nothing is read back
 * unless asked ({@link #read}): greedy decoding reads one float, the argmax.
 *
 * <p>Fusions made while recording: a matmul followed by GELU on its output becomes one kernel, a
 * matmul followed by a residual add becomes one kernel, and (CPU-style kernels) the LM head
 * computes the per-work-group argmax candidates as it writes the logits.
 */
final class OpenClPlan implements ExecutionPlan {
    /** Rows up to which a matmul runs as GEMV launches rather than the tiled GEMM. */
    private static final int GEMV_MAX_ROWS = 2;
    private static final int ARGMAX_CHUNK = 4096;
    private static final int LM_HEAD_GROUP = 64;

    /** Per-step argument setter. */
    private interface Dynamic {
        void set(ClKernel k, Step s);
    }

    /** Global size for a step. */
    private interface Global {
        long[] of(Step s);
    }

    private record Launch(String kind, ClKernel kernel, Global global, long[] local, Dynamic dynamic,
                          Predicate<Step> active, long weightBytes) {}

    private final OpenClBackend backend;
    private final ClContext ctx;
    private final Graph graph;
    private final StepBounds bounds;
    private final long bufferBytes;
    private final Map<Buffer, MemorySegment> mems = new HashMap<>();
    private final List<Launch> launches = new ArrayList<>();
    private final List<MemorySegment> extra = new ArrayList<>();
    private final MemorySegment tokens;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment hostTokens;
    private final MemorySegment event = arena.allocate(ValueLayout.ADDRESS);
    private final MemorySegment sizes = arena.allocate(ValueLayout.JAVA_LONG, 6);
    private final Profile profile = new Profile();
    private boolean profiling;
    private MemorySegment staging = MemorySegment.NULL;

    OpenClPlan(OpenClBackend backend, Graph graph, long bufferBytes) {
        this.backend = backend;
        this.ctx = backend.ctx;
        this.graph = graph;
        this.bounds = StepBounds.of(graph);
        this.bufferBytes = bufferBytes;
        for (Buffer b : graph.buffers()) {
            MemorySegment m = ctx.createBuffer(b.elements() * Float.BYTES, null, b.name());
            ctx.zero(m, b.elements() * Float.BYTES);
            mems.put(b, m);
        }
        tokens = ctx.createBuffer((long) graph.maxRows() * Integer.BYTES, null, "tokens");
        extra.add(tokens);
        hostTokens = arena.allocate((long) graph.maxRows() * Integer.BYTES, 8);
        List<Op> ops = graph.ops();
        for (int i = 0; i < ops.size(); i++) i += record(ops, i);
        ctx.finish();
    }

    // ------------------------------------------------------------------ recording

    /** Records launches for ops[i] (and ops it fuses); returns how many following ops it consumed. */
    private int record(List<Op> ops, int i) {
        Op op = ops.get(i);
        Op next = i + 1 < ops.size() ? ops.get(i + 1) : null;
        switch (op) {
            case Op.Embedding e -> embedding(e);
            case Op.LayerNorm n -> layerNorm(n);
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
                if (next instanceof Op.Argmax a && a.logits().equals(h.logits()) && backend.style == KernelStyle.CPU) {
                    lmHeadArgmax(h, a);
                    return 1;
                }
                lmHead(h);
            }
            case Op.Argmax a -> argmax(a);
            case Op.Sample sm -> sample(sm);
            case Op.Gelu g -> elementwise("gelu", kernel("gelu.cl", "gelu", null, 0).mem(0, mem(g.in())).mem(1, mem(g.out())),
                    2, g.in().cols());
            case Op.Add a -> elementwise("add", kernel("add.cl", "add", null, 0).mem(0, mem(a.a())).mem(1, mem(a.b()))
                    .mem(2, mem(a.out())), 3, a.out().cols());
            case Op.KvStore k -> kvStore(k);
            case Op.AlibiAttention a -> attention(a);
        }
        return 0;
    }


    private MemorySegment mem(Buffer b) {
        return mems.get(b);
    }

    private ClKernel kernel(String file, String name, DType dtype, int headDim) {
        StringBuilder options = new StringBuilder("-cl-std=CL1.2 -cl-mad-enable");
        if (dtype != null) options.append(" -DW_").append(dtype.name());
        if (headDim > 0) options.append(" -DHD=").append(headDim);
        return new ClKernel(ctx, backend.programs.program(file, options.toString()), name);
    }

    private void add(String kind, ClKernel k, Global global, long[] local, Dynamic dynamic, Predicate<Step> active, long bytes) {
        launches.add(new Launch(kind, k, global, local, dynamic, active, bytes));
    }

    private static Predicate<Step> always() {
        return s -> true;
    }

    private static long roundUp(long n, long m) {
        return (n + m - 1) / m * m;
    }

    private void embedding(Op.Embedding e) {
        DeviceWeight table = backend.matrix(e.table());
        int cols = e.table().cols();
        for (DeviceWeight.Block b : table.blocks()) {
            ClKernel k = kernel("embedding.cl", "embedding", e.table().dtype(), 0)
                    .mem(0, b.mem()).i32(1, b.row0()).i32(2, b.rows()).mem(3, tokens).mem(4, mem(e.out())).i32(5, cols);
            add("embedding", k, s -> new long[] {cols, s.rows()}, null, (kk, s) -> { }, always(), 0);
        }
    }

    private void layerNorm(Op.LayerNorm n) {
        int cols = n.in().cols();
        int local = backend.style == KernelStyle.CPU ? 1 : (int) Math.min(256, Integer.highestOneBit((int) Math.min(
                ctx.device.maxWorkGroupSize(), cols)));
        ClKernel k = kernel("layer_norm.cl", "layer_norm", null, 0)
                .mem(0, mem(n.in())).mem(1, backend.vector(n.gamma())).mem(2, backend.vector(n.beta())).mem(3, mem(n.out()))
                .i32(4, cols).f32(5, n.eps()).local(6, (long) local * Float.BYTES);
        add("layer_norm", k, s -> new long[] {(long) local * s.rows()}, new long[] {local}, (kk, s) -> { }, always(),
                n.gamma().byteSize() + n.beta().byteSize());
    }

    /** Launches for one matmul: per weight block, a GEMV kernel (few rows) and a tiled GEMM kernel (prefill). */
    private void matmul(Op.MatMul m, int act, Buffer residual, Buffer out, String kind) {
        Weight w = m.weight();
        int K = w.cols();
        int ldy = out.cols();
        MemorySegment bias = m.bias() == null ? backend.zeros(w.rows()) : backend.vector(m.bias());
        MemorySegment res = residual == null ? mem(out) : mem(residual);
        boolean gpu = backend.style == KernelStyle.GPU;
        int wg = (int) Math.min(128, Integer.highestOneBit((int) Math.min(ctx.device.maxWorkGroupSize(), 1024)));
        for (DeviceWeight.Block b : backend.matrix(w).blocks()) {
            long bytes = (long) b.rows() * K * w.dtype().bytes() + (m.bias() == null ? 0 : m.bias().byteSize());
            ClKernel gemv = kernel("matmul.cl", gpu ? "matmul_wg" : "matmul_rows4", w.dtype(), 0);
            bindMatmul(gemv, b, bias, mem(m.in()), mem(out), ldy, K, act, res, residual != null);
            if (gpu) gemv.local(13, (long) wg * Float.BYTES);
            add(kind, gemv, gpu ? s -> new long[] {(long) b.rows() * wg} : s -> new long[] {(b.rows() + 3) / 4},
                    gpu ? new long[] {wg} : null, (k, s) -> k.i32(9, s.rows()), s -> s.rows() <= GEMV_MAX_ROWS, bytes);
            ClKernel tiled = kernel("matmul.cl", "matmul_tiled", w.dtype(), 0);
            bindMatmul(tiled, b, bias, mem(m.in()), mem(out), ldy, K, act, res, residual != null);
            add(kind, tiled, s -> new long[] {(b.rows() + 3) / 4, (s.rows() + 3) / 4}, null, (k, s) -> k.i32(9, s.rows()),
                    s -> s.rows() > GEMV_MAX_ROWS, bytes);
        }
    }

    private static void bindMatmul(ClKernel k, DeviceWeight.Block b, MemorySegment bias, MemorySegment x, MemorySegment y,
                                   int ldy, int K, int act, MemorySegment res, boolean hasRes) {
        k.mem(0, b.mem()).mem(1, bias).mem(2, x).i32(3, 0).mem(4, y).i32(5, b.row0()).i32(6, ldy).i32(7, K).i32(8, b.rows())
                .i32(9, 1).i32(10, act).mem(11, res).i32(12, hasRes ? 1 : 0);
    }

    private void lmHead(Op.LmHead h) {
        Weight w = h.table();
        int K = w.cols();
        boolean gpu = backend.style == KernelStyle.GPU;
        int wg = (int) Math.min(128, Integer.highestOneBit((int) Math.min(ctx.device.maxWorkGroupSize(), 1024)));
        for (DeviceWeight.Block b : backend.matrix(w).blocks()) {
            ClKernel k = kernel("matmul.cl", gpu ? "matmul_wg" : "matmul_rows4", w.dtype(), 0);
            bindMatmul(k, b, backend.zeros(w.rows()), mem(h.in()), mem(h.logits()), h.logits().cols(), K, 0, mem(h.logits()), false);
            if (gpu) k.local(13, (long) wg * Float.BYTES);
            add("lm_head", k, gpu ? s -> new long[] {(long) b.rows() * wg} : s -> new long[] {(b.rows() + 3) / 4}, gpu ? new long[] {wg} : null,
                    (kk, s) -> kk.i32(3, (s.rows() - s.logitRows()) * K).i32(9, s.logitRows()), always(),
                    (long) b.rows() * K * w.dtype().bytes());
        }
    }

    private void lmHeadArgmax(Op.LmHead h, Op.Argmax a) {
        Weight w = h.table();
        int K = w.cols();
        int maxRows = a.token().rows();
        int groups = 0;
        int perGroup = 4 * LM_HEAD_GROUP;   // logits per work-group: 4 per work-item
        for (DeviceWeight.Block b : backend.matrix(w).blocks()) groups += (b.rows() + perGroup - 1) / perGroup;
        MemorySegment pv = partials((long) maxRows * groups), pi = partials((long) maxRows * groups);
        int g0 = 0;
        for (DeviceWeight.Block b : backend.matrix(w).blocks()) {
            ClKernel k = kernel("lm_head.cl", "lm_head_argmax", w.dtype(), 0)
                    .mem(0, b.mem()).mem(1, mem(h.in())).i32(2, 0).mem(3, mem(h.logits())).i32(4, b.row0())
                    .i32(5, h.logits().cols()).i32(6, K).i32(7, b.rows()).i32(8, 1).mem(9, pv).mem(10, pi).i32(11, groups)
                    .i32(12, g0).local(13, LM_HEAD_GROUP * Float.BYTES).local(14, LM_HEAD_GROUP * Integer.BYTES);
            add("lm_head+argmax", k, s -> new long[] {roundUp((b.rows() + 3) / 4, LM_HEAD_GROUP)}, new long[] {LM_HEAD_GROUP},
                    (kk, s) -> kk.i32(2, (s.rows() - s.logitRows()) * K).i32(8, s.logitRows()), always(),
                    (long) b.rows() * K * w.dtype().bytes());
            g0 += (b.rows() + perGroup - 1) / perGroup;
        }
        argmaxFinal(pv, pi, groups, a.token());
    }

    private void argmax(Op.Argmax a) {
        int vocab = a.logits().cols();
        int groups = (vocab + ARGMAX_CHUNK - 1) / ARGMAX_CHUNK;
        MemorySegment pv = partials((long) a.token().rows() * groups), pi = partials((long) a.token().rows() * groups);
        ClKernel k = kernel("argmax.cl", "argmax_partial", null, 0).mem(0, mem(a.logits())).i32(1, vocab).i32(2, vocab)
                .i32(3, ARGMAX_CHUNK).mem(4, pv).mem(5, pi).i32(6, groups);
        add("argmax", k, s -> new long[] {groups, s.logitRows()}, null, (kk, s) -> { }, always(), 0);
        argmaxFinal(pv, pi, groups, a.token());
    }

    private void sample(Op.Sample sm) {
        ClKernel mark = kernel("sample.cl", "mark_seen", null, 0).mem(0, tokens).mem(1, mem(sm.seen()));
        add("sample", mark, s -> new long[] {s.rows()}, null, (k, s) -> k.i32(2, s.rows()), always(), 0);
        int vocab = sm.logits().cols();
        int local = 64;
        ClKernel k = kernel("sample.cl", "sample", null, 0).mem(0, mem(sm.logits())).i32(2, vocab).mem(3, mem(sm.seen()))
                .mem(4, mem(sm.token())).local(12, local * Float.BYTES).local(13, local * Integer.BYTES);
        add("sample", k, s -> new long[] {local}, new long[] {local}, (kk, s) -> {
            var p = s.sampling();
            kk.i32(1, s.logitRows() - 1).f32(5, p.temperature()).i32(6, p.topK()).f32(7, p.topP()).f32(8, p.minP())
                    .f32(9, p.repetitionPenalty()).u64(10, p.seed()).u64(11, p.counter());
        }, s -> s.sampling() != null, 0);
    }

    private void argmaxFinal(MemorySegment pv, MemorySegment pi, int groups, Buffer token) {
        ClKernel k = kernel("argmax.cl", "argmax_final", null, 0).mem(0, pv).mem(1, pi).i32(2, groups).mem(3, mem(token));
        add("argmax", k, s -> new long[] {s.logitRows()}, null, (kk, s) -> { }, always(), 0);
    }

    private MemorySegment partials(long count) {
        MemorySegment m = ctx.createBuffer(count * 4, null, "argmax partials");
        extra.add(m);
        return m;
    }

    private void elementwise(String kind, ClKernel k, int countArg, int cols) {
        add(kind, k, s -> new long[] {(long) s.rows() * cols}, null, (kk, s) -> kk.i32(countArg, s.rows() * cols), always(), 0);
    }

    private void kvStore(Op.KvStore op) {
        int capacity = op.capacity();
        ClKernel k = kernel("kv_store.cl", "kv_store", null, op.headDim()).mem(0, mem(op.qkv())).mem(1, mem(op.q()))
                .mem(2, mem(op.kCache())).mem(3, mem(op.vCache())).i32(4, op.heads()).i32(5, capacity);
        add("kv_store", k, s -> new long[] {op.headDim(), op.heads(), s.rows()}, null, (kk, s) -> kk.i32(6, s.position()),
                always(), 0);
    }

    private void attention(Op.AlibiAttention a) {
        int hd = a.headDim();
        MemorySegment slopes;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment host = tmp.allocateFrom(ValueLayout.JAVA_FLOAT, a.slopes());
            slopes = ctx.createBuffer(host.byteSize(), host, "alibi slopes");
        }
        extra.add(slopes);
        int wg = 64;
        long localBytes = (long) wg * (2 + hd) * Float.BYTES;
        boolean split = backend.style == KernelStyle.GPU && wg <= ctx.device.maxWorkGroupSize()
                && localBytes <= ctx.device.localMemory();
        ClKernel k = kernel("alibi_attention.cl", split ? "alibi_attention_split" : "alibi_attention", null, hd)
                .mem(0, mem(a.q())).mem(1, mem(a.kCache())).mem(2, mem(a.vCache())).mem(3, mem(a.out())).mem(4, slopes)
                .i32(5, a.heads()).i32(6, a.capacity()).f32(8, a.scale());
        if (split) k.local(9, (long) wg * Float.BYTES).local(10, (long) wg * Float.BYTES).local(11, (long) wg * hd * Float.BYTES);
        add("alibi_attention", k, split ? s -> new long[] {(long) a.heads() * wg, s.rows()} : s -> new long[] {a.heads(), s.rows()},
                split ? new long[] {wg, 1} : null, (kk, s) -> kk.i32(7, s.position()), always(), 0);
    }

    // ------------------------------------------------------------------ execution

    @Override
    public void execute(Step step) {
        bounds.check(step);
        synchronized (backend) {
            int[] t = step.tokens();
            MemorySegment.copy(t, 0, hostTokens, ValueLayout.JAVA_INT, 0, t.length);
            check(ctx.cl.enqueueWriteBuffer(ctx.queue, tokens, true, 0, (long) t.length * Integer.BYTES, hostTokens),
                    "clEnqueueWriteBuffer(tokens)");
            for (Launch l : launches) {
                if (!l.active().test(step)) continue;
                l.dynamic().set(l.kernel(), step);
                enqueue(l, step);
            }
            if (profiling) collect(step);
        }
    }

    /** A profiled launch waiting for its event's timestamps. */
    private record Pending(Launch launch, MemorySegment event) {}

    private final List<Pending> pendingEvents = new ArrayList<>();

    private void enqueue(Launch l, Step step) {
        long[] g = l.global().of(step);
        long[] local = l.local();
        for (int d = 0; d < g.length; d++) {
            if (local != null) g[d] = roundUp(g[d], local[d]);
            sizes.setAtIndex(ValueLayout.JAVA_LONG, d, g[d]);
            if (local != null) sizes.setAtIndex(ValueLayout.JAVA_LONG, 3 + d, local[d]);
        }
        int status = ctx.cl.enqueueNDRangeKernel(ctx.queue, l.kernel().handle, g.length, sizes,
                local == null ? MemorySegment.NULL : sizes.asSlice(24), profiling ? event : MemorySegment.NULL);
        if (status != OpenCl.CL_SUCCESS) check(status, "clEnqueueNDRangeKernel(" + l.kernel().name + ")");
        if (profiling) pendingEvents.add(new Pending(l, event.get(ValueLayout.ADDRESS, 0)));
    }

    private void collect(Step step) {
        ctx.finish();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(ValueLayout.JAVA_LONG);
            for (Pending pe : pendingEvents) {
                Launch l = pe.launch();
                MemorySegment ev = pe.event();
                check((int) OpenCl.call(ctx.cl.clGetEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_START, 8L, t,
                        MemorySegment.NULL), "clGetEventProfilingInfo");
                long start = t.get(ValueLayout.JAVA_LONG, 0);
                check((int) OpenCl.call(ctx.cl.clGetEventProfilingInfo, ev, OpenCl.CL_PROFILING_COMMAND_END, 8L, t,
                        MemorySegment.NULL), "clGetEventProfilingInfo");
                profile.record(l.kind(), t.get(ValueLayout.JAVA_LONG, 0) - start, l.weightBytes());
                ctx.cl.release(ctx.cl.clReleaseEvent, ev);
            }
        }
        pendingEvents.clear();
    }

    @Override
    public void synchronize() {
        synchronized (backend) {
            ctx.finish();
        }
    }

    @Override
    public void read(Buffer buffer, int rows, float[] dst) {
        long bytes = (long) rows * buffer.cols() * Float.BYTES;
        synchronized (backend) {
            MemorySegment host = staging(bytes);
            check(ctx.cl.enqueueReadBuffer(ctx.queue, mem(buffer), true, 0, bytes, host), "clEnqueueReadBuffer(" + buffer.name() + ")");
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, dst, 0, rows * buffer.cols());
        }
    }

    @Override
    public void write(Buffer buffer, int rows, float[] src) {
        long bytes = (long) rows * buffer.cols() * Float.BYTES;
        synchronized (backend) {
            MemorySegment host = staging(bytes);
            MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, 0, rows * buffer.cols());
            check(ctx.cl.enqueueWriteBuffer(ctx.queue, mem(buffer), true, 0, bytes, host), "clEnqueueWriteBuffer(" + buffer.name() + ")");
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
            ctx.finish();
            for (Launch l : launches) l.kernel().close();
            launches.clear();
            for (MemorySegment m : mems.values()) ctx.release(m);
            for (MemorySegment m : extra) ctx.release(m);
            mems.clear();
            extra.clear();
            backend.released(bufferBytes);
        }
        arena.close();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "OpenClPlan[%d launches on %s]", launches.size(), ctx.device.name());
    }
}
