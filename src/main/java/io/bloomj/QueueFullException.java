package io.bloomj;

/** A batch generator's waiting queue is full: try again later (a server answers 429). */
public final class QueueFullException extends BloomjException {
    public QueueFullException(String message) {
        super(message);
    }
}
