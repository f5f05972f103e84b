package io.bloomj.compute;

/**
 * What a {@link Step} may ask of one graph, checked once per step by every backend's plan before it
 * runs anything (a step that does not fit would write past a buffer, which a device does silently).
 *
 * @param maxRows    {@link Graph#maxRows()}
 * @param logitRows  rows of the logits buffer
 * @param kvCapacity positions the KV cache holds (the smallest {@link Op.KvStore} capacity), or
 *                   {@link Integer#MAX_VALUE} for a graph without one
 */
public record StepBounds(int maxRows, int logitRows, int kvCapacity) {
    public static StepBounds of(Graph graph) {
        int capacity = Integer.MAX_VALUE;
        for (Op op : graph.ops()) if (op instanceof Op.KvStore k) capacity = Math.min(capacity, k.capacity());
        return new StepBounds(graph.maxRows(), graph.logits() == null ? Integer.MAX_VALUE : graph.logits().rows(), capacity);
    }

    /** Throws {@link IllegalArgumentException} when {@code step} does not fit. */
    public void check(Step step) {
        if (step.rows() > maxRows) {
            throw new IllegalArgumentException("a step of " + step.rows() + " rows exceeds the graph's " + maxRows);
        }
        if (step.logitRows() > logitRows) {
            throw new IllegalArgumentException(step.logitRows() + " logit rows exceed the logits buffer's " + logitRows);
        }
        if ((long) step.position() + step.rows() > kvCapacity) {
            throw new IllegalArgumentException("positions up to " + (step.position() + step.rows()) + " exceed the KV cache of " + kvCapacity);
        }
    }
}
