package io.bloomj.compute;

/**
 * A place where graphs run (the CPU, an OpenCL device, a CUDA device). A backend owns what is
 * shared by every plan on it (threads, device context, resident weights); {@link #plan} allocates
 * what belongs to one sequence (activations and KV cache). Backends are found through
 * {@link BackendProvider}s ({@link Backends#open}), never named by class outside their package.
 */
public interface Backend extends AutoCloseable {
    /** Short name used on the command line: {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** Human-readable description of the device (for benchmark reports). */
    String description();

    /**
     * Whether this backend can execute the op as given (dtype, shapes). {@link #plan} asks it of
     * every op of the graph before it allocates anything.
     */
    boolean supports(Op op);

    /**
     * Prepares {@code graph} for repeated execution: checks every op is supported, allocates its
     * buffers, makes the weights available to the device.
     *
     * @throws UnsupportedOpException naming the first op this backend cannot run
     * @throws io.bloomj.InsufficientMemoryException when the weights and buffers do not fit
     */
    ExecutionPlan plan(Graph graph);

    /** A probe of the memory bandwidth decode is bound by on this backend, over a buffer of {@code bytes}. */
    MemoryProbe memoryProbe(long bytes);

    /** Measures that bandwidth: {@code repetitions} timed samples after a warm-up. */
    default Bandwidth measureBandwidth(long bytes, int repetitions) {
        try (MemoryProbe probe = memoryProbe(bytes)) {
            return MemoryProbe.measure(probe, repetitions);
        }
    }

    /**
     * What computes prompt rows' matmuls: {@code "exact"} (fp32 activations, the default and every
     * device backend's) or the native bf16 GEMM's description when {@link MatmulMode#BF16} was
     * asked and honoured.
     */
    default String prefillGemm() {
        return "exact";
    }

    /** Why {@link MatmulMode#BF16} was asked but the exact path runs, or null (not asked, or honoured). */
    default String matmulFallback() {
        return null;
    }

    /**
     * Whether the backend keeps a host copy of the bf16 matrices (the CPU backend's panels), made when
     * the first plan needs it: host memory about the size of the weights read per token.
     */
    default boolean copiesBf16Matrices() {
        return false;
    }

    /** Largest number of device bytes allocated so far (weights, caches, activations), or -1 for host memory. */
    default long peakDeviceMemory() {
        return -1;
    }

    /** Throws {@link UnsupportedOpException} for the first op of {@code graph} this backend cannot run. */
    default void requireSupported(Graph graph) {
        for (Op op : graph.ops()) {
            if (!supports(op)) throw new UnsupportedOpException(name(), op);
        }
    }

    @Override
    void close();
}
