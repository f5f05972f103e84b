package io.bloomj;

/** A model, session or backend was used after {@code close()} (or while another thread closed it). */
public final class ClosedException extends BloomjException {
    public ClosedException(String what) {
        super(what + " is closed");
    }
}
