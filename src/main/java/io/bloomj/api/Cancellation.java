package io.bloomj.api;

/**
 * Stops a running generation from another thread: pass it to {@code generate}, call
 * {@link #cancel()} from anywhere. The generation ends after the token in progress, with
 * {@link FinishReason#CANCELLED}. One instance may serve several generations; {@link #reset()} re-arms it.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void reset() {
        cancelled = false;
    }
}
