package io.bloomj.engine;

import io.bloomj.ClosedException;
import io.bloomj.InvalidInputException;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Many sequences decoded together: one {@link ExecutionPlan} of a batched graph
 * ({@link BloomGraph#buildBatched}) whose steps mix the rows of every sequence that has work, so the
 * weights are read once per step for all of them.
 *
 * <p>KV memory is one pool of fixed-size blocks shared by all sequences (the idea of vLLM's paged
 * attention): a sequence holds a slot (its row of the block table and of the seen tokens) and the
 * blocks it reserved when it was opened, enough for its prompt and its longest answer, so a
 * sequence that was admitted never runs out and never takes memory from another; one that does
 * not fit yet is not opened ({@link #open} returns null) and waits. Not thread-safe: one scheduler
 * thread drives it.
 */
public final class BatchEngine implements AutoCloseable {
    private final Graph graph;
    private final ExecutionPlan plan;
    private final Op.Sample sample;
    private final int vocab;
    private final int blockSize;
    private final int blocksPerSlot;
    private final int slots;
    private final int[] table;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private final ArrayDeque<Integer> freeBlocks = new ArrayDeque<>();
    private final int totalBlocks;
    private boolean closed;
    /** Zeros for a new member's row of the seen-token record. */
    private float[] unseen;

    /** One sequence of the batch: its slot, its reserved blocks, the tokens in its cache. */
    public static final class Member {
        private final int slot;
        private final int[] blocks;
        private final int capacity;
        private int length;
        private boolean released;

        private Member(int slot, int[] blocks, int capacity) {
            this.slot = slot;
            this.blocks = blocks;
            this.capacity = capacity;
        }

        /** Tokens in this sequence's cache. */
        public int length() {
            return length;
        }

        /** Tokens its reserved blocks hold. */
        public int capacity() {
            return capacity;
        }

        public int slot() {
            return slot;
        }
    }

    /**
     * What one member does in a step: append {@code tokens} (one for decoding; a chunk of its
     * prompt otherwise) and, when {@code logits} is set, have the next token chosen after the last
     * of them.
     *
     * @param decode   a single-token append (decides the rows' arithmetic; see {@link Step})
     * @param logits   whether the last row needs logits (the last chunk of a prompt, every decode)
     * @param sampling the draw, or null for the argmax
     */
    public record Work(Member member, int[] tokens, boolean decode, boolean logits, SamplingParams sampling) {
        public Work {
            if (tokens.length == 0) throw new IllegalArgumentException("no tokens");
            if (decode && tokens.length != 1) throw new IllegalArgumentException("a decode appends one token");
        }
    }

    /**
     * @param graph     built by {@link BloomGraph#buildBatched} with {@code slots} slots
     * @param blockSize positions per KV block (the graph's)
     * @param context   most tokens one sequence may hold
     */
    public BatchEngine(Graph graph, ExecutionPlan plan, int slots, int blockSize, int blocks, int context, int vocab) {
        this.graph = graph;
        this.plan = plan;
        this.vocab = vocab;
        this.blockSize = blockSize;
        this.slots = slots;
        this.blocksPerSlot = (context + blockSize - 1) / blockSize;
        this.totalBlocks = blocks;
        this.table = new int[slots * blocksPerSlot];
        Op.Sample found = null;
        for (Op op : graph.ops()) if (op instanceof Op.Sample s) found = s;
        this.sample = found;
        for (int i = 0; i < slots; i++) freeSlots.add(i);
        for (int i = 0; i < blocks; i++) freeBlocks.add(i);
    }

    /** Blocks a sequence of {@code tokens} tokens needs. */
    public int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /** Whether a sequence of {@code tokens} could ever be opened (the pool and a slot's table hold it). */
    public boolean fitsEver(int tokens) {
        return blocksFor(tokens) <= Math.min(totalBlocks, blocksPerSlot);
    }

    public int freeBlocks() {
        return freeBlocks.size();
    }

    public int totalBlocks() {
        return totalBlocks;
    }

    public int freeSlots() {
        return freeSlots.size();
    }

    public int slots() {
        return slots;
    }

    /** Most rows one step may carry. */
    public int maxRows() {
        return graph.maxRows();
    }

    /**
     * Opens a sequence that may grow to {@code tokens} tokens, reserving its blocks now; null when
     * no slot or not enough blocks are free (try again after a member is released).
     */
    public Member open(int tokens) {
        ensureOpen();
        if (tokens < 1) throw new InvalidInputException("a sequence needs at least one token");
        if (!fitsEver(tokens)) {
            throw new InvalidInputException("a sequence of " + tokens + " tokens does not fit the KV cache ("
                    + Math.min(totalBlocks, blocksPerSlot) * (long) blockSize + " tokens per sequence)");
        }
        int need = blocksFor(tokens);
        if (freeSlots.isEmpty() || freeBlocks.size() < need) return null;
        int slot = freeSlots.poll();
        int[] blocks = new int[need];
        for (int i = 0; i < need; i++) {
            blocks[i] = freeBlocks.poll();
            table[slot * blocksPerSlot + i] = blocks[i];
        }
        if (sample != null) {
            if (unseen == null) unseen = new float[vocab];   // kept: admitting a sequence allocates no vocab-sized row
            plan.writeRows(sample.seen(), slot, 1, unseen);
        }
        return new Member(slot, blocks, need * blockSize);
    }

    /** Gives a member's slot and blocks back (idempotent). */
    public void release(Member m) {
        if (m.released) return;
        m.released = true;
        freeSlots.add(m.slot);
        for (int b : m.blocks) freeBlocks.add(b);
    }

    /** What a step produced for one work item that asked for logits. */
    public record Outcome(Work work, int token, int logitsRow) {}

    /**
     * Runs one step over {@code work} (decode items first, then prompt chunks; at most one item per
     * member) and returns, for each item that asked for logits, the chosen token.
     */
    public List<Outcome> step(List<Work> work) {
        ensureOpen();
        int rows = 0, decodeRows = 0, logitRows = 0;
        boolean prefillSeen = false;
        for (Work w : work) {
            if (w.member.released) throw new IllegalStateException("a released member has no cache");
            if (w.member.length + w.tokens.length > w.member.capacity) {
                throw new InvalidInputException("sequence in slot " + w.member.slot + " would exceed its " + w.member.capacity + " reserved tokens");
            }
            if (w.decode) {
                if (prefillSeen) throw new IllegalArgumentException("decode items come before prompt chunks");
                decodeRows++;
            } else {
                prefillSeen = true;
            }
            rows += w.tokens.length;
            if (w.logits) logitRows++;
        }
        if (rows == 0) return List.of();
        if (rows > graph.maxRows()) throw new IllegalArgumentException(rows + " rows exceed the step's " + graph.maxRows());
        int[] tokens = new int[rows], positions = new int[rows], slotOf = new int[rows], logitIdx = new int[logitRows];
        SamplingParams[] draws = new SamplingParams[logitRows];
        int r = 0, li = 0;
        for (Work w : work) {
            for (int i = 0; i < w.tokens.length; i++, r++) {
                int t = w.tokens[i];
                if (t < 0 || t >= vocab) throw new InvalidInputException("token id " + t + " is outside the vocabulary [0, " + vocab + ")");
                tokens[r] = t;
                positions[r] = w.member.length + i;
                slotOf[r] = w.member.slot;
            }
            if (w.logits) {
                logitIdx[li] = r - 1;
                draws[li++] = w.sampling;
            }
        }
        if (logitRows == 0) {
            // Prompt chunks only, none finishing: logits of the last row are computed and ignored.
            logitIdx = new int[] {rows - 1};
            draws = new SamplingParams[1];
        }
        plan.execute(new Step(tokens, positions, slotOf, decodeRows, logitIdx, draws, table, blocksPerSlot));
        for (Work w : work) w.member.length += w.tokens.length;
        if (logitRows == 0) return List.of();
        float[] greedy = new float[logitRows];
        plan.read(graph.argmax(), logitRows, greedy);
        float[] sampled = null;
        List<Outcome> out = new ArrayList<>(logitRows);
        li = 0;
        for (Work w : work) {
            if (!w.logits) continue;
            int token;
            if (w.sampling != null) {
                if (sampled == null) {
                    sampled = new float[logitRows];
                    plan.read(sample.token(), logitRows, sampled);
                }
                token = (int) sampled[li];
            } else {
                token = (int) greedy[li];
            }
            out.add(new Outcome(w, token, li++));
        }
        return out;
    }

    /** The logits of the last step's logits rows {@code [0, rows)}, {@code rows x vocab}. */
    public float[] readLogits(int rows) {
        float[] all = new float[rows * vocab];
        plan.read(graph.logits(), rows, all);
        return all;
    }

    /** Copies logits row {@code row} out of {@link #readLogits}'s result. */
    public float[] logitsRow(float[] all, int row) {
        return Arrays.copyOfRange(all, row * vocab, (row + 1) * vocab);
    }

    private void ensureOpen() {
        if (closed) throw new ClosedException("this batch");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        plan.close();
    }
}
