package io.bloomj.api;

import io.bloomj.InvalidInputException;
import io.bloomj.compute.Backends;
import io.bloomj.compute.MatmulMode;

/**
 * How to load and run a model. Start from {@link #defaults()} and change what you need:
 * {@code LoadOptions.defaults().withThreads(2).withContextLength(4096)}.
 *
 * @param backend       {@code cpu}, {@code opencl}, {@code cuda} or another provider's name (see {@link Bloom#backends()})
 * @param device        device number for device backends (see {@code bloomj devices})
 * @param threads       CPU threads for the CPU backend
 * @param contextLength KV cache length of a {@link Session}, in tokens (BLOOM itself has no limit)
 * @param batchSize     most prompt tokens processed in one prefill step (larger prompts run in chunks)
 * @param weights       how the matrices are held: as stored, or quantized to Q8_0 at load time
 * @param matmul        how prompt rows' matmuls are computed: exact (default) or with bf16 activations in a native GEMM
 */
public record LoadOptions(String backend, int device, int threads, int contextLength, int batchSize, WeightFormat weights,
                          MatmulMode matmul) {
    public static final int DEFAULT_CONTEXT = 2048;
    public static final int DEFAULT_BATCH = 512;

    public LoadOptions {
        Backends.checkThreads(threads);
        if (contextLength < 1) throw new InvalidInputException("context length must be at least 1, got " + contextLength);
        if (device < 0) throw new InvalidInputException("device number must be >= 0, got " + device);
        if (batchSize < 1) throw new InvalidInputException("batch size must be at least 1, got " + batchSize);
        if (weights == null) throw new InvalidInputException("weight format must be given (checkpoint or q8_0)");
        if (matmul == null) throw new InvalidInputException("matmul mode must be given (exact or bf16)");
    }

    public static LoadOptions defaults() {
        return new LoadOptions("cpu", 0, Backends.defaultThreads(), DEFAULT_CONTEXT, DEFAULT_BATCH, WeightFormat.CHECKPOINT, MatmulMode.EXACT);
    }

    public LoadOptions withBackend(String backend) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    public LoadOptions withDevice(int device) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    public LoadOptions withThreads(int threads) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    public LoadOptions withContextLength(int contextLength) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    public LoadOptions withBatchSize(int batchSize) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    /** {@link WeightFormat#Q8_0} quantizes every matrix to 8 bits at load time (about half the bytes per token). */
    public LoadOptions withWeights(WeightFormat weights) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }

    /**
     * {@link MatmulMode#BF16} runs prompt rows' bf16 matmuls with bf16-rounded activations in
     * oneDNN where the CPU has bf16 dot products (CPU backend); elsewhere the model runs the exact
     * path and {@link BloomModel#matmulNote()} says why.
     */
    public LoadOptions withMatmul(MatmulMode matmul) {
        return new LoadOptions(backend, device, threads, contextLength, batchSize, weights, matmul);
    }
}
