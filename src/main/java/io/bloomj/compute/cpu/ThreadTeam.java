package io.bloomj.compute.cpu;

import io.bloomj.ClosedException;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for data-parallel loops: the caller plus {@code size - 1} workers.
 *
 * <p>Why not the fork-join pool: a decode step issues ~100 short parallel loops (one per matrix);
 * they need a fixed thread count (benchmarks) and dispatch in microseconds. Workers spin briefly
 * after each loop, so back-to-back loops start without a wake-up, then park so an idle team costs
 * nothing.
 */
public final class ThreadTeam implements AutoCloseable {
    /** A loop body over {@code [start, end)}; {@code worker} in {@code [0, size)} indexes per-thread scratch. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end, int worker);
    }

    /**
     * A loop body that gets its per-call state as an argument ({@code context}, for example the step)
     * instead of capturing it: a plan builds its bodies once, so a step's loops allocate nothing (a
     * capturing lambda is a new object per call, since the team keeps a reference to it).
     */
    @FunctionalInterface
    public interface ContextTask<C> {
        void run(C context, int start, int end, int worker);
    }

    private static final ContextTask<RangeTask> RANGE = (t, start, end, worker) -> t.run(start, end, worker);

    private static final int SPINS_BEFORE_PARK = 1 << 16;

    private final int size;
    private final Thread[] workers;
    /** Per worker: true while it may be parked, so the caller only pays for unpark when needed. */
    private final java.util.concurrent.atomic.AtomicIntegerArray sleeping;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    // Written by the caller before the volatile generation bump; read by workers after seeing it.
    private ContextTask<Object> task;
    private Object context;
    private int count;
    private int grain;

    public ThreadTeam(int size) {
        if (size < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + size);
        this.size = size;
        this.workers = new Thread[size - 1];
        this.sleeping = new java.util.concurrent.atomic.AtomicIntegerArray(size);
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("bloomj-cpu-" + index).start(() -> work(index));
        }
    }

    public int size() {
        return size;
    }

    /**
     * Runs {@code task} over {@code [0, count)} split into one contiguous chunk per thread, each
     * chunk a multiple of {@code grain} (but the last). Returns when every chunk is done; a
     * failure in any chunk is rethrown here.
     */
    public void parallelFor(int count, int grain, RangeTask task) {
        parallelFor(count, grain, task, RANGE);
    }

    /** {@link #parallelFor(int, int, RangeTask)} with {@code context} handed to every chunk of {@code task}. */
    @SuppressWarnings("unchecked")
    public synchronized <C> void parallelFor(int count, int grain, C context, ContextTask<? super C> task) {
        if (closed) throw new ClosedException("the CPU backend");
        if (count <= 0) return;
        if (size == 1 || count <= grain) {
            task.run(context, 0, count, 0);
            return;
        }
        this.task = (ContextTask<Object>) task;
        this.context = context;
        this.count = count;
        this.grain = grain;
        failure = null;
        pending.set(size - 1);
        generation++;
        // Dekker-style handshake with work(): the generation is written before the flag is read, and
        // a worker sets its flag before re-reading the generation, so no wake-up can be lost.
        for (int i = 0; i < workers.length; i++) {
            if (sleeping.get(i + 1) != 0) LockSupport.unpark(workers[i]);
        }
        runChunk(0);
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else Thread.yield();
        }
        this.task = null;
        this.context = null;
        Throwable f = failure;
        if (f != null) {
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            throw new IllegalStateException(f);
        }
    }

    private void runChunk(int index) {
        int units = (count + grain - 1) / grain;
        int start = (int) ((long) units * index / size) * grain;
        int end = Math.min(count, (int) ((long) units * (index + 1) / size) * grain);
        if (start < end) task.run(context, start, end, index);
    }

    private void work(int index) {
        long seen = 0;
        while (true) {
            long g;
            int spins = 0;
            while ((g = generation) == seen) {
                if (closed) return;
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    sleeping.set(index, 1);
                    if (generation == seen && !closed) LockSupport.parkNanos(this, 10_000_000L);
                    sleeping.set(index, 0);
                }
            }
            seen = g;
            try {
                runChunk(index);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /**
     * Stops the workers. Synchronized with {@link #parallelFor}: a loop in progress on another
     * thread finishes first (its workers are still there to finish their chunks), and every later
     * loop fails with a {@link ClosedException} instead of waiting for workers that are gone.
     */
    @Override
    public synchronized void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }

    public boolean isClosed() {
        return closed;
    }
}
