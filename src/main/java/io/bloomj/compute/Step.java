package io.bloomj.compute;

/**
 * The only values that change between two executions of the same graph.
 *
 * @param tokens    token ids of this step, one row each (1 for a decode step, a chunk of the prompt for prefill)
 * @param position  absolute position of {@code tokens[0]} in the sequence: rows are written to the
 *                  KV cache from here, and attention covers positions {@code [0, position + row]}
 * @param logitRows how many of the last rows need logits (1 for generation; more to score every position)
 * @param sampling  how {@link Op.Sample} draws the next token from the last row, or null (no draw)
 */
public record Step(int[] tokens, int position, int logitRows, SamplingParams sampling) {
    public Step(int[] tokens, int position, int logitRows) {
        this(tokens, position, logitRows, null);
    }

    public Step {
        if (tokens.length == 0) throw new IllegalArgumentException("a step needs at least one token");
        if (position < 0) throw new IllegalArgumentException("negative position " + position);
        if (logitRows < 1 || logitRows > tokens.length) {
            throw new IllegalArgumentException("logitRows " + logitRows + " outside [1, " + tokens.length + "]");
        }
    }

    public int rows() {
        return tokens.length;
    }
}
