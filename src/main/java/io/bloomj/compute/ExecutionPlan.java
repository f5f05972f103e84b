package io.bloomj.compute;

/**
 * A graph made ready on one backend: buffers allocated, weights resident. Replayed once per step.
 * Not thread-safe: one plan serves one sequence at a time.
 */
public interface ExecutionPlan extends AutoCloseable {
    /**
     * Runs every op of the graph for this step.
     *
     * @return this step's per-kernel times when profiling is on (see {@link #setProfiling}); device
     *         backends wait for the step to finish to read them
     * @throws IllegalArgumentException when the step does not fit the graph ({@link StepBounds})
     */
    StepResult execute(Step step);

    /**
     * Waits until everything {@link #execute} enqueued has finished. Device backends execute
     * asynchronously ({@link #read} waits by itself); benchmarks call this to time whole steps.
     */
    default void synchronize() {
    }

    /** Copies the first {@code rows} rows of a graph buffer into {@code dst} (at least {@code rows * cols} long). */
    void read(Buffer buffer, int rows, float[] dst);

    /** Copies {@code rows} rows from {@code src} into the start of a graph buffer (tests and state restore). */
    void write(Buffer buffer, int rows, float[] src);

    /**
     * Copies {@code rows} rows from {@code src} into a graph buffer from row {@code firstRow} on (a
     * batched plan clears one sequence's state this way). Plans of one-sequence graphs only need
     * row 0; they refuse the others.
     */
    default void writeRows(Buffer buffer, int firstRow, int rows, float[] src) {
        if (firstRow != 0) throw new UnsupportedOperationException("this plan writes buffers from row 0 only");
        write(buffer, rows, src);
    }

    /**
     * Turns per-op timing on or off. Profiling synchronises after every op, which costs a little
     * on a CPU and much on a GPU: keep it off when measuring throughput.
     */
    void setProfiling(boolean enabled);

    /** Totals accumulated over every profiled step since the plan was made (empty when profiling never was on). */
    Profile profile();

    @Override
    void close();
}
