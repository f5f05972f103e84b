package io.bloomj.tornado;

import io.bloomj.BloomjException;
import io.bloomj.ClosedException;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Profile;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;
import io.bloomj.compute.StepBounds;
import io.bloomj.compute.StepResult;
import io.bloomj.compute.device.Kernel;
import io.bloomj.compute.device.Launch;
import io.bloomj.compute.device.Lowering;
import io.bloomj.compute.device.RowTables;
import io.bloomj.tensor.Weight;
import io.bloomj.tornado.kernels.Add;
import io.bloomj.tornado.kernels.AlibiAttention;
import io.bloomj.tornado.kernels.Argmax;
import io.bloomj.tornado.kernels.Embedding;
import io.bloomj.tornado.kernels.Gelu;
import io.bloomj.tornado.kernels.KvStore;
import io.bloomj.tornado.kernels.LayerNorm;
import io.bloomj.tornado.kernels.LmHead;
import io.bloomj.tornado.kernels.Matmul;
import io.bloomj.tornado.kernels.Sample;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.common.TaskPackage;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid2D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.LongArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * A lowered graph as one TornadoVM task graph, replayed by one execution plan every step: a task
 * per kernel record (the matmul's GEMV and GEMM both, each doing nothing when the step has no rows
 * of its kind), weights, decode tables and graph buffers sent once ({@code FIRST_EXECUTION}) and
 * kept on the device, the step's inputs (step sizes, token ids, row tables, sampling values, seen
 * rows to clear) sent every step, nothing read back unless asked. Scalars are compiled into the
 * kernels, so everything that changes per step is in those arrays; the grids follow the step's rows
 * through the {@link GridScheduler}, updated before each execute.
 */
final class TornadoPlan implements ExecutionPlan {
    private static final int DECODE_ROWS = 1;

    private final TornadoVmBackend backend;
    /** What {@link TornadoVmBackend#plan} counted for this plan, given back on close. */
    private final long deviceBytes;
    private final Graph graph;
    private final StepBounds bounds;
    private final String name;
    private final Map<Buffer, FloatArray> arrays = new IdentityHashMap<>();
    private final Set<Buffer> seenBuffers = new LinkedHashSet<>();
    private final IntArray step = new IntArray(4);
    private final IntArray tokens, rowpos, rowtab, rowslot, logitrows, table, clear;
    private final FloatArray fparams;
    private final IntArray iparams;
    private final LongArray lparams;
    private final boolean batched;
    /** GEMV and LM head as one work-item per output row (CPU devices) rather than a work-group per row (GPUs). */
    private final boolean cpuStyle;
    private final GridScheduler scheduler = new GridScheduler();
    private final TornadoExecutionPlan plan;
    private final Profile profile = new Profile();
    private final KernelContext ctx = new KernelContext();
    /** The array passed where a kernel reads nothing (no residual). */
    private final FloatArray none = new FloatArray(1);
    private final List<Integer> pendingClears = new ArrayList<>();
    private TornadoExecutionResult last;
    private final int graphCount;
    private boolean profiling;
    /** Whether TornadoVM's profiler is on for the plan (switched only when {@link #profiling} changes). */
    private boolean profilerOn;
    private boolean closed;

    private static final java.util.concurrent.atomic.AtomicInteger PLANS = new java.util.concurrent.atomic.AtomicInteger();

    TornadoPlan(TornadoVmBackend backend, Graph graph, long deviceBytes) {
        this.backend = backend;
        this.deviceBytes = deviceBytes;
        this.graph = graph;
        this.bounds = StepBounds.of(graph);
        this.name = "bloomj" + PLANS.incrementAndGet();
        this.cpuStyle = backend.cpuStyle();
        List<Launch> launches = Lowering.lower(graph, backend, backend.fusions(backend.cpuStyle()));
        RowTables t = RowTables.of(graph);
        batched = t.batched();
        int maxRows = graph.maxRows();
        tokens = new IntArray(maxRows);
        rowpos = new IntArray(maxRows);
        rowtab = new IntArray(maxRows);
        rowslot = new IntArray(maxRows);
        logitrows = new IntArray(Math.max(1, t.logitRows()));
        table = new IntArray(Math.max(1, t.tableInts()));
        int slots = 1;
        for (var op : graph.ops()) {
            if (op instanceof io.bloomj.compute.Op.Sample s) {
                slots = Math.max(slots, s.seen().rows());
                seenBuffers.add(s.seen());
            }
        }
        clear = new IntArray(1 + slots);
        fparams = new FloatArray(Sample.FLOATS * Math.max(1, t.logitRows()));
        iparams = new IntArray(Sample.INTS * Math.max(1, t.logitRows()));
        lparams = new LongArray(Sample.LONGS * Math.max(1, t.logitRows()));
        for (Buffer b : graph.buffers()) {
            if (b.elements() > Integer.MAX_VALUE - 64) throw new BloomjException("buffer " + b + " is too large for one TornadoVM array");
            arrays.put(b, new FloatArray((int) b.elements()));
        }
        for (Launch l : launches) {
            bindingLaunch = l;
            bind(l.kernel());
        }
        Set<Object> perStep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        perStep.addAll(List.of(step, tokens, rowpos, rowtab, rowslot, logitrows, table, clear, fparams, iparams, lparams));
        List<ImmutableTaskGraph> graphs = split(perStep);
        plan = new TornadoExecutionPlan(graphs.toArray(ImmutableTaskGraph[]::new));
        graphCount = graphs.size();
        plan.withDevice(backend.device().device()).withGridScheduler(scheduler);
        // Compile every task now, while the model loads, rather than in the first step, one graph at a
        // time so the progress shows (a graph takes seconds the first time). CUDA graphs (withCUDAGraph,
        // PTX) stay off: the grids follow each step's rows, and a captured graph would replay the grids
        // of the step it was captured in.
        // Progress is in bytes (ProgressListener's unit): the weight bytes of the tasks compiled so far.
        String stage = "compiling kernels with TornadoVM for " + backend.device().name();
        long[] graphBytes = new long[graphCount];
        for (int i = 0; i < specs.size(); i++) {
            Spec sp = specs.get(i);
            // a matmul's GEMM launch reads the same weights as its GEMV launch: count them once
            if (sp.first() && sp.launch() != null && sp.launch().when() != io.bloomj.compute.device.When.PROMPT_ROWS) {
                graphBytes[i / TASKS_PER_GRAPH] += sp.launch().weightBytes();
            }
        }
        long total = Math.max(1, java.util.Arrays.stream(graphBytes).sum()), done = 0;
        for (int i = 0; i < graphCount; i++) {
            backend.progress().progress(stage, done, total);
            plan.withGraph(i).withPreCompilation();
            done += graphBytes[i];
        }
        plan.withAllGraphs();
        backend.progress().progress(stage, total, total);
    }

    /**
     * TornadoVM keeps a task graph's own code in a fixed 8 KB buffer, about a hundred tasks: a whole
     * model is cut into graphs of {@link #TASKS_PER_GRAPH} tasks, run in order by one execution plan.
     * Each array goes to the device with the first graph that uses it (every execution for the step's
     * inputs, once for everything else) and stays there. TornadoVM hands device buffers from a graph
     * only to the graph executed right after it, so every graph consumes all the arrays of the graphs
     * before it from its predecessor and persists them for its successor, used or not: the whole
     * chain works on the same device buffers, and the last graph can read any of them back.
     */
    private List<ImmutableTaskGraph> split(Set<Object> perStep) {
        Set<Object> outputs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        outputs.addAll(arrays.values());
        Set<Object> known = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> chain = new ArrayList<>();
        List<ImmutableTaskGraph> graphs = new ArrayList<>();
        String previous = null;
        for (int from = 0; from < specs.size(); from += TASKS_PER_GRAPH) {
            List<Spec> chunk = specs.subList(from, Math.min(specs.size(), from + TASKS_PER_GRAPH));
            String gname = name + "_" + graphs.size();
            List<Object> every = new ArrayList<>(), once = new ArrayList<>();
            for (Spec sp : chunk) {
                for (Object o : sp.pkg().getTaskParameters()) {
                    if (o instanceof TornadoNativeArray && known.add(o)) (perStep.contains(o) ? every : once).add(o);
                }
            }
            TaskGraph g = new TaskGraph(gname);
            if (previous != null) g.consumeFromDevice(previous, chain.toArray());
            if (!every.isEmpty()) g.transferToDevice(DataTransferMode.EVERY_EXECUTION, every.toArray());
            if (!once.isEmpty()) g.transferToDevice(DataTransferMode.FIRST_EXECUTION, once.toArray());
            for (Spec sp : chunk) {
                g.addTask(sp.pkg());
                scheduler.addWorkerGrid(gname + "." + sp.pkg().getId(), sp.grid());
            }
            chain.addAll(every);
            chain.addAll(once);
            boolean last = from + TASKS_PER_GRAPH >= specs.size();
            if (!last) g.persistOnDevice(chain.toArray());
            else g.transferToHost(DataTransferMode.UNDER_DEMAND, chain.stream().filter(outputs::contains).toArray());
            graphs.add(g.snapshot());
            previous = gname;
        }
        return graphs;
    }

    /**
     * Tasks per task graph: well within TornadoVM's per-graph code buffer for kernels of up to 14
     * arguments (the tests set fewer, so that every model they run spans several graphs).
     */
    static final int TASKS_PER_GRAPH = Integer.getInteger("bloomj.tornado.tasksPerGraph", 48);

    private final Map<Kernel.AlibiAttention, FloatArray> slopes = new IdentityHashMap<>();

    private FloatArray slopes(Kernel.AlibiAttention a) {
        return slopes.computeIfAbsent(a, k -> FloatArray.fromArray(k.slopes()));
    }

    private FloatArray a(Buffer b) {
        FloatArray f = arrays.get(b);
        if (f == null) throw new IllegalArgumentException("buffer " + b + " is not part of this plan's graph");
        return f;
    }

    private String task(String kind) {
        return "t" + specs.size() + "_" + kind;   // the index the task's spec gets in add()
    }

    /** A 1D grid of one work-item per element of the step's rows. */
    private void elementwise(String id, ToLongFunction<Step> items) {
        grid(id, new WorkerGrid1D(1), items, null, 0, 0);
    }

    /** A 1D grid of work-groups of {@code local}: {@code groups(step)} of them. */
    private void groups(String id, int local, ToLongFunction<Step> groups) {
        grid(id, new WorkerGrid1D(local), s -> Math.max(1, groups.applyAsLong(s)) * local, null, local, 0);
    }

    private void grid(String id, WorkerGrid w, ToLongFunction<Step> x, ToLongFunction<Step> y, int localX, int localY) {
        if (localX > 0) w.setLocalWork(localX, Math.max(1, localY), 1);
        else w.setLocalWorkToNull();
        Spec last = specs.getLast();
        if (!last.pkg().getId().equals(id)) throw new IllegalStateException("grid for " + id + " after task " + last.pkg().getId());
        specs.set(specs.size() - 1, new Spec(last.pkg(), w, x, y, last.launch(), last.first()));
    }

    /**
     * A task: its kernel and arguments, its grid and how the grid's global size follows the step (a 2D
     * grid's second dimension in {@code y}; set by the call to {@link #grid} that follows
     * {@link #add}), the lowered launch it carries out, and whether it is that launch's first task
     * (which carries the launch's weight bytes in the profile). Task {@code tn_kind} is {@code specs[n]}.
     */
    private record Spec(TaskPackage pkg, WorkerGrid grid, ToLongFunction<Step> x, ToLongFunction<Step> y, Launch launch, boolean first) {}

    /** The lowered launch whose tasks are being bound (their profile name and weight bytes). */
    private Launch bindingLaunch;

    private final List<Spec> specs = new ArrayList<>();

    private void add(TaskPackage p) {
        boolean first = specs.isEmpty() || specs.getLast().launch() != bindingLaunch;
        specs.add(new Spec(p, null, null, null, bindingLaunch, first));
    }

    private void bind(Kernel k) {
        switch (k) {
            case Kernel.Embedding e -> {
                String id = task("embedding");
                int cols = e.table().cols();
                W we = weights(e.table());
                add(new TaskPackage(id, Embedding::embedding, ctx, we.w16(), we.q(), we.qs(), we.q8(), we.decode(), tokens, a(e.out()), cols, step));
                elementwise(id, s -> (long) s.rows() * cols);
            }
            case Kernel.LayerNorm n -> {
                String id = task("layer_norm");
                int cols = n.in().cols();
                if (a(n.in()) == a(n.out())) throw new IllegalArgumentException("the tornado backend cannot run a layer norm in place: " + n.out());
                add(new TaskPackage(id, LayerNorm::layerNorm, ctx, a(n.in()), backend.vector(n.gamma(), cols), backend.vector(n.beta(), cols), a(n.out()), cols,
                        n.eps()));
                groups(id, LayerNorm.GROUP, Step::rows);
            }
            case Kernel.Matmul m -> matmul(m);
            case Kernel.LmHead h -> {
                String id = task("lm_head");
                Weight w = h.table();
                if (cpuStyle) {
                    W wt = weights(w);
                    add(new TaskPackage(id, LmHead::lmHeadRows, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), a(h.in()), a(h.logits()), logitrows,
                            w.cols(), w.rows(), step));
                    elementwise(id, s -> w.rows());
                } else {
                    W wt = weights(w);
                    add(new TaskPackage(id, LmHead::lmHead, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), a(h.in()), a(h.logits()), logitrows,
                            w.cols(), w.rows(), step));
                    groups(id, Matmul.GEMV_GROUP, s -> w.rows());
                }
            }
            case Kernel.LmHeadArgmax h -> {
                String id = task("lm_head");
                Weight w = h.table();
                int groups = ceil(w.rows(), LmHead.ARGMAX_ROWS);
                FloatArray pval = new FloatArray(h.logits().rows() * groups);
                IntArray pidx = new IntArray(h.logits().rows() * groups);
                W wt = weights(w);
                add(new TaskPackage(id, LmHead::lmHeadArgmax, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), a(h.in()), a(h.logits()), logitrows,
                        pval, pidx, w.cols(), w.rows(), step));
                groups(id, 32 * LmHead.ARGMAX_ROWS, s -> groups);
                String fin = task("argmax");
                add(new TaskPackage(fin, Argmax::argmaxFinal, ctx, pval, pidx, a(h.token()), groups, step));
                elementwise(fin, Step::logitRows);
            }
            case Kernel.Argmax am -> {
                String id = task("argmax");
                add(new TaskPackage(id, Argmax::argmax, ctx, a(am.logits()), a(am.token()), am.logits().cols()));
                groups(id, Argmax.GROUP, Step::logitRows);
            }
            case Kernel.Gelu ge -> {
                String id = task("gelu");
                int cols = ge.in().cols();
                if (a(ge.in()) == a(ge.out())) add(new TaskPackage(id, Gelu::geluInPlace, ctx, a(ge.out()), cols, step));
                else add(new TaskPackage(id, Gelu::gelu, ctx, a(ge.in()), a(ge.out()), cols, step));
                elementwise(id, s -> (long) s.rows() * cols);
            }
            case Kernel.Add ad -> {
                String id = task("add");
                int cols = ad.out().cols();
                if (a(ad.a()) == a(ad.b())) throw new IllegalArgumentException("the tornado backend cannot add a buffer to itself: " + ad.a());
                if (a(ad.out()) == a(ad.a())) add(new TaskPackage(id, Add::addInPlace, ctx, a(ad.out()), a(ad.b()), cols, step));
                else if (a(ad.out()) == a(ad.b())) add(new TaskPackage(id, Add::addInPlace, ctx, a(ad.out()), a(ad.a()), cols, step));
                else add(new TaskPackage(id, Add::add, ctx, a(ad.a()), a(ad.b()), a(ad.out()), cols, step));
                elementwise(id, s -> (long) s.rows() * cols);
            }
            case Kernel.KvStore kv -> {
                String id = task("kv_store");
                int width = kv.heads() * kv.headDim();
                add(new TaskPackage(id, KvStore::kvStore, ctx, a(kv.qkv()), a(kv.q()), a(kv.kCache()), a(kv.vCache()), kv.heads(), kv.headDim(), kv.capacity(),
                        rowpos, rowtab, table, step));
                elementwise(id, s -> (long) s.rows() * width);
            }
            case Kernel.AlibiAttention at -> {
                String id = task("alibi_attention");
                if (a(at.q()) == a(at.out())) throw new IllegalArgumentException("the tornado backend cannot run attention in place: " + at.out());
                add(new TaskPackage(id, AlibiAttention::alibiAttention, ctx, a(at.q()), a(at.kCache()), a(at.vCache()), a(at.out()), slopes(at), at.heads(),
                        at.headDim(), at.capacity(), at.scale(), rowpos, rowtab, table));
                groups(id, AlibiAttention.GROUP, s -> (long) s.rows() * at.heads());
            }
            case Kernel.MarkSeen ms -> {
                int vocab = ms.seen().cols();
                String clearId = task("clear_seen");
                add(new TaskPackage(clearId, Sample::clearSeen, ctx, a(ms.seen()), clear, vocab));
                elementwise(clearId, s -> Math.max(1, (long) clear.get(0) * vocab));
                String id = task("mark_seen");
                add(new TaskPackage(id, Sample::markSeen, ctx, tokens, a(ms.seen()), rowslot, vocab, step));
                elementwise(id, Step::rows);
            }
            case Kernel.Sample sm -> {
                String id = task("sample");
                IntArray keys = new IntArray(sm.logits().rows() * sm.logits().cols()), minKey = new IntArray(3 * sm.logits().rows());
                add(new TaskPackage(id, Sample::sample, ctx, a(sm.logits()), a(sm.seen()), a(sm.token()), fparams, iparams, lparams, rowslot, logitrows,
                        keys, minKey, sm.logits().cols(), step));
                groups(id, Sample.GROUP, Step::logitRows);
            }
        }
    }

    private void matmul(Kernel.Matmul m) {
        Weight w = m.weight();
        int K = w.cols(), N = w.rows();
        int act = m.epilogue() == Kernel.Epilogue.GELU ? 1 : 0;
        // TornadoVM cannot take one array as two arguments (its scheduler never finishes): the
        // residual is passed only when it is another buffer, else flagged (2: y's own value).
        int hasRes = m.epilogue() != Kernel.Epilogue.RESIDUAL ? 0 : a(m.residual()) == a(m.out()) ? 2 : 1;
        FloatArray y = a(m.out()), res = hasRes == 1 ? a(m.residual()) : none;
        if (a(m.in()) == a(m.out())) throw new IllegalArgumentException("the tornado backend cannot run a matmul in place: " + m.out());
        W wt = weights(w);
        FloatArray bias = backend.vector(m.bias(), N);
        if (m.variant() == Kernel.Variant.GEMV) {
            String id = task("matmul_gemv");
            if (cpuStyle) {
                add(new TaskPackage(id, Matmul::gemvRows, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), bias, a(m.in()), y, res, K, N, act, hasRes, step));
                elementwise(id, s -> N);
            } else {
                add(new TaskPackage(id, Matmul::gemv, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), bias, a(m.in()), y, res, K, N, act, hasRes, step));
                groups(id, Matmul.GEMV_GROUP, s -> N);
            }
        } else {
            String id = task("matmul_gemm");
            add(new TaskPackage(id, Matmul::gemm, ctx, wt.w16(), wt.q(), wt.qs(), wt.q8(), wt.decode(), bias, a(m.in()), y, res, K, N, act, hasRes, step));
            int tile = Matmul.TILE;
            grid(id, new WorkerGrid2D(tile, tile), s -> (long) ceil(N, tile) * tile,
                    s -> (long) Math.max(1, ceil(s.rows() - s.decodeRows(), tile)) * tile, tile, tile);
        }
    }

    /** A matrix as the kernels take it: 16-bit values, or Q8_0 values and scales (the unused ones are placeholders), and its decode table. */
    private record W(ShortArray w16, ByteArray q, ShortArray qs, int q8, FloatArray decode) {}

    private final ShortArray no16 = new ShortArray(1);
    private final ByteArray no8 = new ByteArray(1);

    private W weights(Weight w) {
        if (w.dtype() == io.bloomj.tensor.DType.Q8_0) {
            return new W(no16, backend.q8Values(w), backend.q8Scales(w), 1, backend.decodeTable(io.bloomj.tensor.DType.F16));
        }
        return new W(backend.matrix(w), no8, no16, 0, backend.decodeTable(w.dtype()));
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public StepResult execute(Step s) {
        bounds.check(s);
        synchronized (backend) {
            if (closed) throw new ClosedException("this plan");
            fill(s);
            for (Spec z : specs) {
                if (z.y() == null) z.grid().setGlobalWork(z.x().applyAsLong(s), 1, 1);
                else z.grid().setGlobalWork(z.x().applyAsLong(s), z.y().applyAsLong(s), 1);
            }
            if (profiling != profilerOn) {
                if (profiling) plan.withProfiler(ProfilerMode.SILENT);
                else plan.withoutProfiler();
                profilerOn = profiling;
            }
            // One graph at a time, in order: TornadoVM hands a graph's device buffers to the graph
            // executed right after it.
            Profile p = profiling ? new Profile() : null;
            for (int i = 0; i < graphCount; i++) {
                last = plan.withGraph(i).execute();
                if (profiling) {
                    record(last.getProfilerResult().getProfileLog(), s, p);
                    plan.clearProfiles();   // TornadoVM accumulates the log until cleared
                }
            }
            pendingClears.clear();
            return profiling ? new StepResult(p) : StepResult.unprofiled();
        }
    }

    private static final java.util.regex.Pattern TASK_TIME = java.util.regex.Pattern.compile(
            "\"[A-Za-z0-9_]+\\.t(\\d+)_[a-z_]+\": \\{[^}]*?\"TASK_KERNEL_TIME\": \"(\\d+)\"");

    /**
     * Each task's device kernel time from TornadoVM's profiler log of one graph, into the step's
     * profile and the plan's under the lowered launch's profile name, with its weight bytes where the
     * launch runs in this step (a GEMM task of a decode step reads no weights).
     */
    private void record(String log, Step s, Profile step) {
        java.util.regex.Matcher m = TASK_TIME.matcher(log);
        while (m.find()) {
            int task = Integer.parseInt(m.group(1));
            if (task >= specs.size()) continue;
            Spec sp = specs.get(task);
            long nanos = Long.parseLong(m.group(2));
            long bytes = sp.first() && sp.launch().runsIn(s) ? sp.launch().weightBytes() : 0;
            step.record(sp.launch().profileName(), nanos, bytes);
            profile.record(sp.launch().profileName(), nanos, bytes);
        }
    }

    /** The step's inputs into the arrays sent every execution. */
    private void fill(Step s) {
        int n = s.rows();
        step.set(0, n);
        step.set(DECODE_ROWS, s.decodeRows());
        step.set(2, s.logitRows());
        for (int r = 0; r < n; r++) {
            tokens.set(r, s.tokens()[r]);
            rowpos.set(r, s.positions()[r]);
            rowtab.set(r, batched ? s.slots()[r] * s.blocksPerSlot() : 0);
            rowslot.set(r, batched ? s.slots()[r] : 0);
        }
        for (int i = 0; i < s.logitRows(); i++) {
            logitrows.set(i, s.logitRowIndex()[i]);
            SamplingParams p = s.samplings()[i];
            iparams.set(i * Sample.INTS, p == null ? 0 : 1);
            if (p == null) continue;
            fparams.set(i * Sample.FLOATS, p.temperature());
            fparams.set(i * Sample.FLOATS + 1, p.topP());
            fparams.set(i * Sample.FLOATS + 2, p.minP());
            fparams.set(i * Sample.FLOATS + 3, p.repetitionPenalty());
            iparams.set(i * Sample.INTS + 1, p.topK());
            lparams.set(i * Sample.LONGS, p.seed());
            lparams.set(i * Sample.LONGS + 1, p.counter());
        }
        int[] blocks = s.blockTable();
        if (!batched || blocks == null) {
            int slots = 1;
            for (int sl : s.slots()) slots = Math.max(slots, sl + 1);
            for (int i = 0; i < Math.min(slots, table.getSize()); i++) table.set(i, batched ? i : 0);
        } else {
            if (blocks.length > table.getSize()) throw new IllegalArgumentException(blocks.length + " block table entries exceed " + table.getSize());
            for (int i = 0; i < blocks.length; i++) table.set(i, blocks[i]);
        }
        clear.set(0, pendingClears.size());
        for (int i = 0; i < pendingClears.size(); i++) clear.set(1 + i, pendingClears.get(i));
    }

    @Override
    public void read(Buffer buffer, int rows, float[] dst) {
        FloatArray f = a(buffer);
        synchronized (backend) {
            if (last != null) last.transferToHost(f);
            int n = rows * buffer.cols();
            for (int i = 0; i < n; i++) dst[i] = f.get(i);
        }
    }

    @Override
    public void write(Buffer buffer, int rows, float[] src) {
        writeRows(buffer, 0, rows, src);
    }

    /**
     * Before the first step, any buffer (it goes to the device with the first step); after it, only
     * zeroed rows of the seen-tokens buffer (a sequence starting in a slot), which a task clears at
     * the start of the next step. TornadoVM has no host-to-device copy outside an execution.
     */
    @Override
    public void writeRows(Buffer buffer, int firstRow, int rows, float[] src) {
        if (firstRow < 0 || firstRow + rows > buffer.rows()) throw new IllegalArgumentException("rows outside " + buffer);
        FloatArray f = a(buffer);
        synchronized (backend) {
            if (last == null) {
                int base = firstRow * buffer.cols();
                for (int i = 0; i < rows * buffer.cols(); i++) f.set(base + i, src[i]);
                return;
            }
            boolean zeros = true;
            for (int i = 0; i < rows * buffer.cols() && zeros; i++) zeros = src[i] == 0f;
            if (!zeros || !seenBuffers.contains(buffer)) {
                throw new UnsupportedOperationException("the tornado backend writes " + buffer + " only before the first step");
            }
            for (int r = firstRow; r < firstRow + rows; r++) if (!pendingClears.contains(r)) pendingClears.add(r);
        }
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
            if (closed) return;
            closed = true;
            backend.released(deviceBytes);
            try {
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new BloomjException("TornadoVM could not release the plan's device memory", e);
            }
        }
    }

    @Override
    public String toString() {
        return "TornadoPlan[" + specs.size() + " tasks on " + backend.description() + "]";
    }
}
