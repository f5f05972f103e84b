package io.bloomj.api;

import io.bloomj.InvalidInputException;

/**
 * How a {@link BatchGenerator} batches.
 *
 * @param parallel    most sequences decoded in one step (KV slots)
 * @param queue       most requests waiting for a slot; more are refused ({@link io.bloomj.QueueFullException})
 * @param kvTokens    the KV pool all sequences share, in tokens (0: {@code parallel} x the context length)
 * @param prefillRows most prompt tokens prefilled per step, next to the decode rows (chunked prefill:
 *                    a long prompt never stalls the running sequences for more than one such step)
 */
public record BatchOptions(int parallel, int queue, int kvTokens, int prefillRows) {
    /** Positions per KV block: small enough that short sequences waste little, large enough for whole vector loops. */
    public static final int BLOCK_SIZE = 32;

    public BatchOptions {
        if (parallel < 1 || parallel > 1024) throw new InvalidInputException("parallel must be in [1, 1024], got " + parallel);
        if (queue < 0) throw new InvalidInputException("queue must be >= 0, got " + queue);
        if (kvTokens < 0) throw new InvalidInputException("KV tokens must be >= 0, got " + kvTokens);
        if (prefillRows < 1) throw new InvalidInputException("prefill rows must be at least 1, got " + prefillRows);
    }

    public static BatchOptions of(int parallel) {
        return new BatchOptions(parallel, 256, 0, 256);
    }

    public BatchOptions withQueue(int queue) {
        return new BatchOptions(parallel, queue, kvTokens, prefillRows);
    }

    public BatchOptions withKvTokens(int kvTokens) {
        return new BatchOptions(parallel, queue, kvTokens, prefillRows);
    }

    public BatchOptions withPrefillRows(int prefillRows) {
        return new BatchOptions(parallel, queue, kvTokens, prefillRows);
    }
}
