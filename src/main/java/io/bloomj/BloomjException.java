package io.bloomj;

/**
 * Root of every error bloomj raises on purpose. Unchecked: the caller usually cannot recover
 * in-process, but each subtype carries what a user needs to fix the cause (file and tensor,
 * limit and request, ...), and its message is written to be shown as a single line.
 */
public class BloomjException extends RuntimeException {
    public BloomjException(String message) {
        super(message);
    }

    public BloomjException(String message, Throwable cause) {
        super(message, cause);
    }
}
