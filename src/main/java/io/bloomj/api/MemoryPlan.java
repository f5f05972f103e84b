package io.bloomj.api;

import io.bloomj.compute.Buffer;
import io.bloomj.compute.Graph;

/**
 * Memory a session needs besides the weights, summed from the buffers of its graph (fp32).
 *
 * @param kvCacheBytes    the per-layer key and value caches
 * @param activationBytes scratch buffers of one step (sized for the prefill batch), the logits and
 *                        the record of seen tokens
 */
public record MemoryPlan(long kvCacheBytes, long activationBytes) {
    static MemoryPlan of(Graph graph) {
        long kv = 0, act = 0;
        for (Buffer b : graph.buffers()) {
            long bytes = b.elements() * Float.BYTES;
            if (graph.state().contains(b) && b.name().endsWith("_cache")) kv += bytes;
            else act += bytes;
        }
        return new MemoryPlan(kv, act);
    }

    public long totalBytes() {
        return kvCacheBytes + activationBytes;
    }
}
