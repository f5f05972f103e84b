package io.bloomj;

/** A sequence that would grow past the KV cache allocated for the session. */
public final class ContextLengthException extends BloomjException {
    private final int requested;
    private final int capacity;

    public ContextLengthException(int requested, int capacity) {
        super("sequence of " + requested + " tokens does not fit the context of " + capacity
                + " tokens (raise it with --context-length / LoadOptions.withContextLength)");
        this.requested = requested;
        this.capacity = capacity;
    }

    public int requested() {
        return requested;
    }

    public int capacity() {
        return capacity;
    }
}
