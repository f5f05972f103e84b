package io.bloomj.compute;

import io.bloomj.tensor.Weight;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A model as an ordered list of ops over named buffers, built once and replayed every step (the
 * "task graph": what runs and what it touches). How it runs is a backend's {@link ExecutionPlan}.
 *
 * @param ops      in execution order
 * @param maxRows  largest {@link Step#rows()} a step may have (the activation buffers' capacity)
 * @param logits   the buffer {@link Op.LmHead} writes, read back by the engine
 * @param argmax   the buffer {@link Op.Argmax} writes (the greedy next token), or null
 * @param state    buffers that persist from one step to the next (the KV cache); all others are scratch
 */
public record Graph(List<Op> ops, int maxRows, Buffer logits, Buffer argmax, Set<Buffer> state) {
    public Graph {
        ops = List.copyOf(ops);
        state = Collections.unmodifiableSet(new LinkedHashSet<>(state));
    }

    /** Every buffer the ops touch, in first-use order. */
    public List<Buffer> buffers() {
        Set<Buffer> all = new LinkedHashSet<>();
        for (Op op : ops) {
            all.addAll(op.inputs());
            all.addAll(op.outputs());
        }
        return new ArrayList<>(all);
    }

    /**
     * Whether no op after {@code ops[index]} reads {@code b} before overwriting it, i.e. a fused
     * kernel replacing that op may skip writing {@code b}.
     */
    public boolean unreadAfter(int index, Buffer b) {
        for (int j = index + 1; j < ops.size(); j++) {
            if (ops.get(j).inputs().contains(b)) return false;
            if (ops.get(j).outputs().contains(b)) return true;
        }
        return true;
    }

    /**
     * Buffers that live within one step: written by an op before any op reads them, read by a later
     * op, neither {@link #state()} nor a result read back ({@link #logits()}, {@link #argmax()}).
     * Their contents never outlive a step, so the plans of one backend, whose steps never overlap,
     * may share them: a second session on a model costs its KV cache and results, not another set
     * of activations.
     */
    public Set<Buffer> intermediates() {
        Set<Buffer> written = new LinkedHashSet<>(), readFirst = new LinkedHashSet<>(), readLater = new LinkedHashSet<>();
        for (Op op : ops) {
            for (Buffer b : op.inputs()) {
                if (written.contains(b)) readLater.add(b);
                else readFirst.add(b);
            }
            written.addAll(op.outputs());
        }
        Set<Buffer> out = new LinkedHashSet<>();
        for (Buffer b : written) {
            if (readLater.contains(b) && !readFirst.contains(b) && !state.contains(b) && !b.equals(logits) && !b.equals(argmax)) out.add(b);
        }
        return Collections.unmodifiableSet(out);
    }

    /** Every weight the ops read, in first-use order, each once. */
    public List<Weight> weights() {
        Set<Weight> all = new LinkedHashSet<>();
        for (Op op : ops) {
            switch (op) {
                case Op.Embedding e -> all.add(e.table());
                case Op.LayerNorm n -> { all.add(n.gamma()); all.add(n.beta()); }
                case Op.Matmul m -> { all.add(m.weight()); if (m.bias() != null) all.add(m.bias()); }
                case Op.LmHead h -> all.add(h.table());
                case Op.Gelu g -> { }
                case Op.Add a -> { }
                case Op.KvStore k -> { }
                case Op.AlibiAttention a -> { }
                case Op.Argmax a -> { }
                case Op.Sample sm -> { }
            }
        }
        return new ArrayList<>(all);
    }
}
