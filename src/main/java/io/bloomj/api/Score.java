package io.bloomj.api;

/**
 * Log-likelihood of a continuation given a context.
 *
 * @param tokens   the continuation's tokens
 * @param perToken natural-log probability of each continuation token given everything before it
 * @param sum      their sum: the continuation's log-likelihood
 */
public record Score(int[] tokens, double[] perToken, double sum) {
    /** Mean log-probability per token (length-normalised score). */
    public double mean() {
        return sum / perToken.length;
    }
}
