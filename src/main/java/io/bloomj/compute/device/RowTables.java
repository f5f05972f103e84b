package io.bloomj.compute.device;

import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;

/**
 * Sizes of the small per-row tables a device plan uploads each step (see {@link RecordedPlan}):
 * row positions, where each row's sequence's block table starts, row slots, the rows that need
 * logits, and the block table itself. The same for every device backend, so the kernels of each
 * read a step's rows the same way.
 *
 * @param batched   whether the graph holds several sequences (a KV pool of blocks, rows of seen tokens)
 * @param logitRows rows of the graph's logits buffer
 * @param tableInts ints of the largest block table a step may carry (slots x blocks)
 */
public record RowTables(boolean batched, int logitRows, int tableInts) {
    public static RowTables of(Graph graph) {
        int slots = 1, blocks = 1;
        for (Op op : graph.ops()) {
            if (op instanceof Op.KvStore k) blocks = Math.max(blocks, k.blocks());
            if (op instanceof Op.Sample sm) slots = Math.max(slots, sm.seen().rows());
        }
        int logits = graph.logits() == null ? 1 : graph.logits().rows();
        return new RowTables(slots > 1 || blocks > 1, logits, (int) Math.min(Integer.MAX_VALUE / 4, (long) slots * blocks));
    }

    /** Device bytes of the tables of a plan of {@code graph}. */
    public long bytes(Graph graph) {
        return (3L * graph.maxRows() + logitRows + tableInts) * Integer.BYTES;
    }
}
