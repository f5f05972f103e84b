package io.bloomj.api;

import java.util.Locale;

/** Why a generation stopped. */
public enum FinishReason {
    /** The model produced its end-of-sequence token (included in the token ids, not in the text). */
    EOS,
    /** The requested number of new tokens was reached. */
    LENGTH,
    /** The text reached one of the stop strings (cut from the text). */
    STOP,
    /** {@link Cancellation#cancel()} was called. */
    CANCELLED,
    /** The session's context (KV cache) is full. */
    CONTEXT;

    /** Lower-case name used in JSON output. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
