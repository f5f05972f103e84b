package io.bloomj.hub;

import io.bloomj.BloomjException;

/** A Hub download that cannot proceed: unknown repo, missing access, no network, bad data, full disk. */
public final class HubException extends BloomjException {
    private final int status;

    public HubException(String message) {
        this(message, 0, null);
    }

    public HubException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status that caused it, or 0. */
    public int status() {
        return status;
    }
}
