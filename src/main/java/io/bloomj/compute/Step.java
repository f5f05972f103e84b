package io.bloomj.compute;

import java.util.Arrays;

/**
 * The only values that change between two executions of the same graph: which tokens run, where
 * each one sits in which sequence, which rows need logits and how their next token is chosen.
 *
 * <p>A step may hold rows of several sequences (batched decoding): row {@code r} is token
 * {@code tokens[r]} at position {@code positions[r]} of the sequence in KV slot {@code slots[r]}.
 * A sequence's rows are consecutive, in position order. The KV cache is a pool of blocks of
 * {@code blockSize} positions (the {@link Op.KvStore} caches' columns); {@code blockTable} maps
 * slot {@code s}'s i-th block to a pool block, {@code blockTable[s * blocksPerSlot + i]}; a null
 * table gives slot {@code s} the pool block {@code s} (one block per slot).
 *
 * <p>Rows {@code [0, decodeRows)} are single-token appends (decoding); the others belong to
 * prompts. Backends compute every row with arithmetic that depends only on its kind, never on the
 * other rows of the step, so a sequence's results are bit for bit the same alone or in any batch.
 *
 * @param tokens        token id per row
 * @param positions     absolute position per row: its keys and values are cached there, and it attends {@code [0, position]}
 * @param slots         KV slot per row (also the row of the {@link Op.Sample} seen-tokens buffer)
 * @param decodeRows    leading rows that are single-token appends
 * @param logitRowIndex the rows that need logits, ascending: logits row {@code i} is for step row {@code logitRowIndex[i]}
 * @param samplings     per logits row, how {@link Op.Sample} draws its next token, or null (no draw)
 * @param blockTable    {@code [slots x blocksPerSlot]} pool block ids, or null (slot {@code s} is block {@code s})
 * @param blocksPerSlot row length of {@code blockTable} (1 without a table)
 */
public record Step(int[] tokens, int[] positions, int[] slots, int decodeRows, int[] logitRowIndex, SamplingParams[] samplings,
                   int[] blockTable, int blocksPerSlot) {

    /** One sequence in slot 0 (block 0): {@code tokens} from {@code position} on, logits for the last {@code logitRows}. */
    public Step(int[] tokens, int position, int logitRows) {
        this(tokens, position, logitRows, null);
    }

    /**
     * One sequence in slot 0; a single token counts as a decode row (as {@link #single} with
     * {@code decode = tokens.length == 1}).
     */
    public Step(int[] tokens, int position, int logitRows, SamplingParams sampling) {
        this(tokens, consecutive(position, tokens.length), new int[tokens.length], tokens.length == 1 ? 1 : 0,
                lastRows(tokens.length, logitRows), lastSampling(logitRows, sampling), null, 1);
    }

    /**
     * One sequence in slot 0 (block 0).
     *
     * @param decode whether these tokens are a single-token append (decoding): that decides the
     *               arithmetic of their rows, so it must depend only on the sequence's own history
     */
    public static Step single(int[] tokens, int position, int logitRows, SamplingParams sampling, boolean decode) {
        if (decode && tokens.length != 1) throw new IllegalArgumentException("a decode step has one token, got " + tokens.length);
        return new Step(tokens, consecutive(position, tokens.length), new int[tokens.length], decode ? 1 : 0,
                lastRows(tokens.length, logitRows), lastSampling(logitRows, sampling), null, 1);
    }

    public Step {
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("a step needs at least one token");
        if (positions.length != n || slots.length != n) {
            throw new IllegalArgumentException(n + " tokens but " + positions.length + " positions and " + slots.length + " slots");
        }
        if (decodeRows < 0 || decodeRows > n) throw new IllegalArgumentException("decodeRows " + decodeRows + " outside [0, " + n + "]");
        if (logitRowIndex.length < 1) throw new IllegalArgumentException("a step needs at least one logits row");
        if (samplings.length != logitRowIndex.length) {
            throw new IllegalArgumentException(samplings.length + " samplings for " + logitRowIndex.length + " logits rows");
        }
        for (int i = 0; i < n; i++) {
            if (positions[i] < 0) throw new IllegalArgumentException("negative position " + positions[i]);
            if (slots[i] < 0) throw new IllegalArgumentException("negative slot " + slots[i]);
            if (i > 0 && slots[i] == slots[i - 1] && positions[i] != positions[i - 1] + 1) {
                throw new IllegalArgumentException("rows " + (i - 1) + " and " + i + " of slot " + slots[i] + " are not consecutive positions");
            }
        }
        for (int i = 0; i < logitRowIndex.length; i++) {
            int r = logitRowIndex[i];
            if (r < 0 || r >= n || (i > 0 && r <= logitRowIndex[i - 1])) {
                throw new IllegalArgumentException("logits rows must be ascending rows of the step: " + Arrays.toString(logitRowIndex));
            }
        }
        if (blocksPerSlot < 1) throw new IllegalArgumentException("blocksPerSlot must be at least 1");
    }

    private static int[] consecutive(int position, int n) {
        if (position < 0) throw new IllegalArgumentException("negative position " + position);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = position + i;
        return p;
    }

    private static int[] lastRows(int n, int count) {
        if (count < 1 || count > n) throw new IllegalArgumentException("logitRows " + count + " outside [1, " + n + "]");
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = n - count + i;
        return r;
    }

    private static SamplingParams[] lastSampling(int count, SamplingParams sampling) {
        SamplingParams[] s = new SamplingParams[Math.max(count, 1)];
        s[s.length - 1] = sampling;
        return s;
    }

    public int rows() {
        return tokens.length;
    }

    /** Position of row 0 (for a single sequence, the first position this step writes). */
    public int position() {
        return positions[0];
    }

    /** How many rows need logits. */
    public int logitRows() {
        return logitRowIndex.length;
    }

    /** The draw asked for the last logits row, or null (single-sequence steps carry at most this one). */
    public SamplingParams sampling() {
        return samplings[samplings.length - 1];
    }

    /** Whether any logits row asks for a draw. */
    public boolean samples() {
        for (SamplingParams s : samplings) if (s != null) return true;
        return false;
    }

    /** The pool block holding position {@code position} of slot {@code slot}, for blocks of {@code blockSize} positions. */
    public int block(int slot, int position, int blockSize) {
        return blockTable == null ? slot : blockTable[slot * blocksPerSlot + position / blockSize];
    }
}
