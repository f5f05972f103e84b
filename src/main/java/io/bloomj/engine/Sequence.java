package io.bloomj.engine;

import io.bloomj.ClosedException;
import io.bloomj.ContextLengthException;
import io.bloomj.InvalidInputException;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.Profile;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;

import java.util.Arrays;

/**
 * One token sequence being processed: an {@link ExecutionPlan} (activations + KV cache) and the
 * number of tokens already in the cache. Appending tokens runs only the new ones; the cache makes
 * the result identical to recomputing the whole sequence. Not thread-safe.
 */
public final class Sequence implements AutoCloseable {
    private final Graph graph;
    private final ExecutionPlan plan;
    private final int context;
    private final int vocab;
    private int length;
    private boolean closed;

    /** The graph's sampling op, if it has one. */
    private final Op.Sample sample;
    /** Zeros for the seen-token record, written on {@link #reset()}. */
    private float[] unseen;

    public Sequence(Graph graph, ExecutionPlan plan, int context, int vocab) {
        this.graph = graph;
        this.plan = plan;
        this.context = context;
        this.vocab = vocab;
        Op.Sample found = null;
        for (Op op : graph.ops()) if (op instanceof Op.Sample s) found = s;
        this.sample = found;
    }

    /** Tokens currently in the KV cache. */
    public int length() {
        return length;
    }

    public int contextLength() {
        return context;
    }

    /** Forgets every token (the cache is overwritten from position 0 on the next append; the record of seen tokens is cleared). */
    public void reset() {
        ensureOpen();
        length = 0;
        if (sample != null) {
            if (unseen == null) unseen = new float[vocab];   // kept: a session reset per request allocates nothing
            plan.write(sample.seen(), 1, unseen);
        }
    }

    /**
     * Appends {@code tokens} (prefill in chunks of the graph's batch size) and returns the logits of
     * the last one, written into {@code logits} (vocab-sized).
     */
    public void append(int[] tokens, float[] logits) {
        ensureOpen();
        run(tokens, null);
        plan.read(graph.logits(), 1, logits);
    }

    /** The logits of the last row of the last step (after {@link #appendGreedy} or {@link #appendSampled}). */
    public void readLogits(float[] dst) {
        ensureOpen();
        plan.read(graph.logits(), 1, dst);
    }

    /** Prefills in chunks of the graph's batch size; the last chunk carries the sampling request, if any. */
    private void run(int[] tokens, SamplingParams sampling) {
        check(tokens);
        int batch = graph.maxRows();
        // One token appended is a decode row (the GEMV's arithmetic), any longer append a prompt,
        // however it is chunked: the same rule as the batched engine's, so both give the same bits.
        boolean decode = tokens.length == 1;
        for (int start = 0; start < tokens.length; start += batch) {
            int end = Math.min(tokens.length, start + batch);
            int[] chunk = start == 0 && end == tokens.length ? tokens : Arrays.copyOfRange(tokens, start, end);
            plan.execute(Step.single(chunk, length, 1, end == tokens.length ? sampling : null, decode));
            length += end - start;
        }
    }

    /**
     * Appends {@code tokens} and returns the greedy next token (the argmax of the last logits,
     * computed by the backend: only one number comes back from a device).
     */
    public int appendGreedy(int[] tokens) {
        ensureOpen();
        run(tokens, null);
        float[] id = new float[1];
        plan.read(graph.argmax(), 1, id);
        return (int) id[0];
    }

    /**
     * Appends {@code tokens} and returns the token the backend draws from the last logits with
     * {@code sampling} (penalty, temperature, top-k/top-p/min-p, Gumbel-max draw): one number comes
     * back, the logits stay on the device.
     */
    public int appendSampled(int[] tokens, SamplingParams sampling) {
        ensureOpen();
        if (sample == null) throw new IllegalStateException("this graph has no sampling op");
        run(tokens, sampling);
        float[] id = new float[1];
        plan.read(sample.token(), 1, id);
        return (int) id[0];
    }

    /** Appends {@code tokens} and returns the logits after every one of them, {@code [tokens.length][vocab]}. */
    public float[][] appendAll(int[] tokens) {
        float[][] out = new float[tokens.length][];
        appendAll(tokens, (row, logits) -> out[row] = logits.clone());
        return out;
    }

    /** Receives the logits after token {@code row} of an {@link #appendAll(int[], RowConsumer)} call (the array is reused). */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(int row, float[] logits);
    }

    /**
     * Appends {@code tokens}, handing the logits after each of them to {@code consumer} in order,
     * a few rows per step, so a long text never holds all its logits at once.
     */
    public void appendAll(int[] tokens, RowConsumer consumer) {
        ensureOpen();
        check(tokens);
        int chunk = Math.min(graph.logits().rows(), graph.maxRows());
        float[] buf = new float[chunk * vocab];
        float[] row = new float[vocab];
        for (int start = 0; start < tokens.length; start += chunk) {
            int end = Math.min(tokens.length, start + chunk);
            plan.execute(Step.single(Arrays.copyOfRange(tokens, start, end), length, end - start, null, tokens.length == 1));
            length += end - start;
            plan.read(graph.logits(), end - start, buf);
            for (int r = 0; r < end - start; r++) {
                System.arraycopy(buf, r * vocab, row, 0, vocab);
                consumer.accept(start + r, row);
            }
        }
    }

    private void check(int[] tokens) {
        if (tokens.length == 0) throw new InvalidInputException("no tokens given");
        for (int t : tokens) {
            if (t < 0 || t >= vocab) {
                throw new InvalidInputException("token id " + t + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if ((long) length + tokens.length > context) throw new ContextLengthException(length + tokens.length, context);
    }

    /** Per-op timing of this sequence's steps (see {@link ExecutionPlan#setProfiling}). */
    public void setProfiling(boolean enabled) {
        ensureOpen();
        plan.setProfiling(enabled);
    }

    public Profile profile() {
        return plan.profile();
    }

    private void ensureOpen() {
        if (closed) throw new ClosedException("this session");
    }

    /** Frees the plan (KV cache, activations); later calls fail with a {@link ClosedException}; a second close does nothing. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        plan.close();
    }
}
