package io.bloomj.api;

import java.util.List;

/**
 * A generated token's log-probability under the model (log-softmax of the raw logits, before any
 * penalty or sampling filter) and the most likely alternatives at that position.
 */
public record TokenLogprob(int token, double logprob, List<Alternative> top) {
    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** One alternative token and its log-probability. */
    public record Alternative(int token, double logprob) {}
}
