package io.bloomj.api;

/**
 * @param perplexity    exp(negative log-likelihood / scored tokens)
 * @param nll           total negative log-likelihood (natural log)
 * @param scoredTokens  tokens predicted (all but the first)
 * @param windows       sliding windows evaluated
 */
public record Perplexity(double perplexity, double nll, int scoredTokens, int windows) {}
