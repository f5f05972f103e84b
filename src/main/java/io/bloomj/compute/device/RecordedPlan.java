package io.bloomj.compute.device;

import io.bloomj.ClosedException;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Profile;
import io.bloomj.compute.Step;
import io.bloomj.compute.StepBounds;
import io.bloomj.compute.StepResult;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A lowered graph recorded as a fixed list of device launches, the same for every device backend:
 * the graph's buffers and the step's token ids live on the device (intermediates shared with the
 * backend's other plans, see {@link Graph#intermediates()}); a step checks its bounds,
 * uploads the token ids, enqueues the launches that run in it (or replays a captured decode step,
 * where the backend can) and, when profiling, waits and reads each launch's time. Nothing is read
 * back unless asked ({@link #read}): greedy decoding reads one float, the argmax.
 *
 * <p>A backend implements {@link #bind} (a {@link Kernel} to launches of its own kernels, arguments
 * bound by name) and {@link #finish}; it may override {@link #beginStep} and {@link #replay}.
 * Steps of plans of one backend are serialised on the backend.
 */
public abstract class RecordedPlan implements ExecutionPlan {
    /** Scratch every plan allocates besides its launches' own: token ids (counted per row by the caller) and small constants. */
    static final long FIXED_SCRATCH_BYTES = 1L << 16;

    protected final DeviceBackend backend;
    protected final DeviceMemory memory;
    protected final Graph graph;
    protected final Arena arena = Arena.ofShared();
    /** The step's token ids, one int per row. */
    protected final DeviceBuffer tokens;
    /**
     * The step's rows as the kernels read them: position ({@code rowpos}), where the row's
     * sequence's row of the block table starts ({@code rowtab}, {@code slot * blocksPerSlot}), slot
     * ({@code rowslot}); the step rows that need logits, ascending ({@code logitrows}); the block
     * table ({@code table}). A one-sequence graph's KV cache is one block of the whole context, so
     * its rows' tables and slots are 0 and its block table {@code [0]}, written once; its steps
     * upload positions and logits rows only.
     */
    protected final DeviceBuffer rowpos, rowtab, rowslot, logitrows, table;
    /** Whether the graph holds several sequences ({@link RowTables#batched()}). */
    protected final boolean batched;
    private final MemorySegment hostRows;
    private final StepBounds bounds;
    private final Map<Buffer, DeviceBuffer> buffers = new HashMap<>();
    private final java.util.Set<Buffer> sharedBuffers;
    private final List<DeviceBuffer> scratch = new ArrayList<>();
    private final List<DeviceLaunch> launches = new ArrayList<>();
    private final MemorySegment hostTokens;
    private final Profile profile = new Profile();
    private final List<DeviceLaunch> timedLaunches = new ArrayList<>();
    private final List<DeviceLaunch.Timing> timings = new ArrayList<>();
    private MemorySegment staging = MemorySegment.NULL;
    private boolean profiling;

    protected RecordedPlan(DeviceBackend backend, Graph graph) {
        this.backend = backend;
        this.memory = backend.memory();
        this.graph = graph;
        this.bounds = StepBounds.of(graph);
        this.sharedBuffers = graph.intermediates();
        try {
            for (Buffer b : graph.buffers()) {
                buffers.put(b, sharedBuffers.contains(b) ? backend.acquireShared(b) : memory.allocate(b.elements() * Float.BYTES, b.name()));
            }
            tokens = scratch((long) graph.maxRows() * Integer.BYTES, "tokens");
            RowTables t = RowTables.of(graph);
            batched = t.batched();
            rowpos = scratch((long) graph.maxRows() * Integer.BYTES, "row positions");
            rowtab = scratch((long) graph.maxRows() * Integer.BYTES, "row block tables");
            rowslot = scratch((long) graph.maxRows() * Integer.BYTES, "row slots");
            logitrows = scratch((long) t.logitRows() * Integer.BYTES, "logits rows");
            table = scratch((long) t.tableInts() * Integer.BYTES, "block table");
            hostRows = arena.allocate((long) Math.max(graph.maxRows(), t.tableInts()) * Integer.BYTES, 16);
            hostRows.fill((byte) 0);
            memory.write(rowtab, 0, hostRows, (long) graph.maxRows() * Integer.BYTES);
            memory.write(rowslot, 0, hostRows, (long) graph.maxRows() * Integer.BYTES);
            memory.write(table, 0, hostRows, Integer.BYTES);
        } catch (RuntimeException e) {
            release();
            arena.close();
            throw e;
        }
        hostTokens = arena.allocate((long) graph.maxRows() * Integer.BYTES, 16);
    }

    /** Binds every lowered launch; called once by the subclass constructor when its own fields are ready. */
    protected final void record(List<Launch> lowered) {
        try {
            for (Launch l : lowered) launches.addAll(bind(l));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The launches of this backend's kernels that carry out {@code launch}. */
    protected abstract List<? extends DeviceLaunch> bind(Launch launch);

    /** Waits until everything enqueued has finished. */
    protected abstract void finish();

    /**
     * Puts the step's inputs on the device before its launches: token ids and row tables. The logits
     * rows are uploaded only when they change (a run of decode steps keeps {@code [0]}).
     */
    protected void beginStep(Step step) {
        int[] t = step.tokens();
        MemorySegment.copy(t, 0, hostTokens, ValueLayout.JAVA_INT, 0, t.length);
        memory.write(tokens, 0, hostTokens, (long) t.length * Integer.BYTES);
        int n = step.rows();
        upload(rowpos, step.positions(), n);
        if (!java.util.Arrays.equals(step.logitRowIndex(), uploadedLogitRows)) {
            upload(logitrows, step.logitRowIndex(), step.logitRows());
            uploadedLogitRows = step.logitRowIndex().clone();
        }
        if (!batched) return;
        checkFits(rowtab, n);
        for (int r = 0; r < n; r++) hostRows.setAtIndex(ValueLayout.JAVA_INT, r, step.slots()[r] * step.blocksPerSlot());
        memory.write(rowtab, 0, hostRows, (long) n * Integer.BYTES);
        upload(rowslot, step.slots(), n);
        int[] blocks = step.blockTable();
        if (blocks == null) {
            // No table: slot s is block s.
            int slots = 1;
            for (int s : step.slots()) slots = Math.max(slots, s + 1);
            blocks = new int[slots];
            for (int i = 0; i < slots; i++) blocks[i] = i;
        }
        upload(table, blocks, blocks.length);
    }

    /** The logits rows on the device, as last uploaded (null before the first step). */
    private int[] uploadedLogitRows;

    private static void checkFits(DeviceBuffer b, int count) {
        if ((long) count * Integer.BYTES > b.bytes()) throw new IllegalArgumentException(count + " values exceed " + b);
    }

    private void upload(DeviceBuffer b, int[] values, int count) {
        checkFits(b, count);
        MemorySegment.copy(values, 0, hostRows, ValueLayout.JAVA_INT, 0, count);
        memory.write(b, 0, hostRows, (long) count * Integer.BYTES);
    }

    /**
     * The launches of a {@link Kernel.Sample}, the same on every device backend: one draw per logits
     * row of a batched plan, each with that row's sampling values and its sequence's row of seen
     * tokens ({@code seen_row}), running only in steps where that row draws; a one-sequence plan's
     * single draw takes the step's values. {@code make} builds a backend's launch of {@code sig} with
     * those per-step values.
     */
    protected final <L extends DeviceLaunch> List<L> sampleLaunches(Kernel.Sample sm, KernelSignature sig,
                                                                    java.util.function.Function<DeviceLaunch.PerStep, L> make) {
        if (!batched) return List.of(make.apply(DeviceLaunch.PerStep.sampling(sig)));
        List<L> out = new ArrayList<>();
        for (int i = 0; i < sm.token().rows(); i++) {
            int row = i;
            L launch = make.apply(DeviceLaunch.PerStep.samplingRow(sig, row)
                    .and(DeviceLaunch.PerStep.i32(sig, "seen_row", s -> s.slots()[s.logitRowIndex()[row]])));
            launch.onlyIn(s -> row < s.logitRows() && s.samplings()[row] != null);
            out.add(launch);
        }
        return out;
    }

    /** Runs the step from a captured replay instead of launch by launch; returns false where there is none. */
    protected boolean replay(Step step, List<DeviceLaunch> launches) {
        return false;
    }

    /** Frees what the subclass holds besides buffers and launches (a captured graph); called once on close. */
    protected void closeDevice() {
    }

    /** The device memory of a graph buffer. */
    protected final DeviceBuffer buffer(Buffer b) {
        DeviceBuffer d = buffers.get(b);
        if (d == null) throw new IllegalArgumentException("buffer " + b + " is not part of this plan's graph");
        return d;
    }

    /** Device memory owned by the plan (partial results, constants), freed when it closes. */
    protected final DeviceBuffer scratch(long bytes, String what) {
        DeviceBuffer b = memory.allocate(bytes, what);
        scratch.add(b);
        return b;
    }

    /** A constant fp32 array on the device, owned by the plan. */
    protected final DeviceBuffer constant(float[] values, String what) {
        DeviceBuffer b = scratch((long) values.length * Float.BYTES, what);
        try (Arena a = Arena.ofConfined()) {
            memory.write(b, 0, a.allocateFrom(ValueLayout.JAVA_FLOAT, values), b.bytes());
        }
        return b;
    }

    @Override
    public final StepResult execute(Step step) {
        bounds.check(step);
        synchronized (backend) {
            if (backend.isClosed()) throw new ClosedException("the " + backend.name() + " backend");
            if (closed) throw new ClosedException("this plan");
            beginStep(step);
            if (!profiling && replay(step, launches)) return StepResult.unprofiled();
            for (DeviceLaunch l : launches) {
                if (!l.runsIn(step)) continue;
                DeviceLaunch.Timing t = l.run(step, profiling);
                if (t != null) {
                    timedLaunches.add(l);
                    timings.add(t);
                }
            }
            return profiling ? collect() : StepResult.unprofiled();
        }
    }

    private StepResult collect() {
        finish();
        Profile step = new Profile();
        for (int i = 0; i < timings.size(); i++) {
            DeviceLaunch l = timedLaunches.get(i);
            long nanos = timings.get(i).nanos();
            profile.record(l.source().profileName(), nanos, l.weightBytes());
            step.record(l.source().profileName(), nanos, l.weightBytes());
        }
        timings.clear();
        timedLaunches.clear();
        return new StepResult(step);
    }

    @Override
    public final void synchronize() {
        synchronized (backend) {
            finish();
        }
    }

    @Override
    public final void read(Buffer buffer, int rows, float[] dst) {
        long bytes = (long) rows * buffer.cols() * Float.BYTES;
        synchronized (backend) {
            finish();
            MemorySegment host = staging(bytes);
            memory.read(buffer(buffer), 0, host, bytes);
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 0, dst, 0, rows * buffer.cols());
        }
    }

    @Override
    public final void write(Buffer buffer, int rows, float[] src) {
        long bytes = (long) rows * buffer.cols() * Float.BYTES;
        synchronized (backend) {
            finish();
            MemorySegment host = staging(bytes);
            MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, 0, rows * buffer.cols());
            memory.write(buffer(buffer), 0, host, bytes);
        }
    }

    @Override
    public final void writeRows(Buffer buffer, int firstRow, int rows, float[] src) {
        if (firstRow < 0 || firstRow + rows > buffer.rows()) throw new IllegalArgumentException("rows outside " + buffer);
        long bytes = (long) rows * buffer.cols() * Float.BYTES;
        synchronized (backend) {
            finish();
            MemorySegment host = staging(bytes);
            MemorySegment.copy(src, 0, host, ValueLayout.JAVA_FLOAT, 0, rows * buffer.cols());
            memory.write(buffer(buffer), (long) firstRow * buffer.cols() * Float.BYTES, host, bytes);
        }
    }

    private MemorySegment staging(long bytes) {
        if (staging.byteSize() < bytes) staging = arena.allocate(bytes, 64);
        return staging;
    }

    @Override
    public final void setProfiling(boolean enabled) {
        profiling = enabled;
    }

    @Override
    public final Profile profile() {
        return profile;
    }

    private boolean closed;

    @Override
    public final void close() {
        synchronized (backend) {
            if (closed) return;
            closed = true;
            finish();
            closeDevice();
            for (DeviceLaunch l : launches) l.close();
            launches.clear();
            release();
        }
        arena.close();
    }

    private void release() {
        for (var e : buffers.entrySet()) {
            if (sharedBuffers.contains(e.getKey())) backend.releaseShared(e.getKey());
            else memory.free(e.getValue());
        }
        buffers.clear();
        scratch.forEach(memory::free);
        scratch.clear();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + launches.size() + " launches on " + memory.deviceName() + "]";
    }
}
