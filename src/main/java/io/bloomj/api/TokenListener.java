package io.bloomj.api;

/** Receives each generated token as soon as it is chosen (streaming). Called on the generating thread. */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = token -> { };

    void onToken(int token);
}
