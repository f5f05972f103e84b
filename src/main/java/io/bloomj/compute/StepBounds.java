package io.bloomj.compute;

/**
 * What a {@link Step} may ask of one graph, checked once per step by every backend's plan before it
 * runs anything (a step that does not fit would write past a buffer, which a device does silently).
 *
 * @param maxRows   {@link Graph#maxRows()}
 * @param logitRows rows of the logits buffer
 * @param blockSize positions per KV block (the {@link Op.KvStore} caches' columns), or
 *                  {@link Integer#MAX_VALUE} for a graph without a KV cache
 * @param blocks    KV blocks in the pool
 * @param slots     rows of the seen-tokens buffer of {@link Op.Sample} (sequences a step may mix), or
 *                  {@link Integer#MAX_VALUE} without one
 */
public record StepBounds(int maxRows, int logitRows, int blockSize, int blocks, int slots) {
    public static StepBounds of(Graph graph) {
        int blockSize = Integer.MAX_VALUE, blocks = Integer.MAX_VALUE, slots = Integer.MAX_VALUE;
        for (Op op : graph.ops()) {
            if (op instanceof Op.KvStore k) {
                blockSize = Math.min(blockSize, k.capacity());
                blocks = Math.min(blocks, k.blocks());
            }
            if (op instanceof Op.Sample s) slots = Math.min(slots, s.seen().rows());
        }
        return new StepBounds(graph.maxRows(), graph.logits() == null ? Integer.MAX_VALUE : graph.logits().rows(), blockSize, blocks, slots);
    }

    /** Positions one sequence can hold in the KV cache of a one-sequence graph. */
    public int kvCapacity() {
        return blockSize;
    }

    /** Throws {@link IllegalArgumentException} when {@code step} does not fit. */
    public void check(Step step) {
        if (step.rows() > maxRows) {
            throw new IllegalArgumentException("a step of " + step.rows() + " rows exceeds the graph's " + maxRows);
        }
        if (step.logitRows() > logitRows) {
            throw new IllegalArgumentException(step.logitRows() + " logit rows exceed the logits buffer's " + logitRows);
        }
        int[] table = step.blockTable();
        for (int r = 0; r < step.rows(); r++) {
            int slot = step.slots()[r], pos = step.positions()[r];
            if (slot >= slots) throw new IllegalArgumentException("slot " + slot + " exceeds the graph's " + slots + " slots");
            if (blockSize == Integer.MAX_VALUE) continue;
            if (table == null) {
                if (pos >= blockSize) throw new IllegalArgumentException("positions up to " + (pos + 1) + " exceed the KV cache of " + blockSize);
                if (slot >= blocks) throw new IllegalArgumentException("slot " + slot + " has no KV block among " + blocks);
            } else {
                long at = (long) slot * step.blocksPerSlot() + pos / blockSize;
                if (pos / blockSize >= step.blocksPerSlot() || at >= table.length) {
                    throw new IllegalArgumentException("position " + pos + " of slot " + slot + " is past its block table");
                }
                // attention reads every block up to this position: all must be in the pool
                for (long i = at - pos / blockSize; i <= at; i++) {
                    int b = table[(int) i];
                    if (b < 0 || b >= blocks) throw new IllegalArgumentException("KV block " + b + " outside the pool of " + blocks);
                }
            }
        }
    }
}
