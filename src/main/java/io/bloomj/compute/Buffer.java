package io.bloomj.compute;

/**
 * A named fp32 activation or state buffer of a {@link Graph}: {@code rows x cols}, row-major.
 * {@code rows} is a capacity (the largest batch of a step, or the KV cache length); how many rows a
 * step actually uses comes from the {@link Step}. Backends allocate one instance per buffer in each
 * {@link ExecutionPlan}. Names say what a buffer holds ({@code "attn_norm"}, {@code "ffn_up"}); scratch
 * buffers are shared by every layer, so only state has per-layer names ({@code "l3.k_cache"}). To
 * bisect a mismatch layer by layer, build a graph that stops after the layer in question.
 */
public record Buffer(String name, int rows, int cols) {
    public Buffer {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException(name + ": empty buffer " + rows + "x" + cols);
    }

    public long elements() {
        return (long) rows * cols;
    }

    @Override
    public String toString() {
        return name + "[" + rows + "x" + cols + "]";
    }
}
