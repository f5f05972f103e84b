package io.bloomj.api;

/**
 * Receives each generated token as soon as it is chosen (streaming), on the generating thread.
 * {@code text} is the text this token completes: it may be empty while a multi-byte character is
 * still incomplete, or when the model has no tokenizer; it never holds a broken character.
 */
@FunctionalInterface
public interface GenerationListener {
    GenerationListener NONE = (token, text) -> { };

    void onToken(int token, String text);

    /**
     * The same, with the token's log-probability and its best alternatives when the generation asks
     * for them ({@link GenerationConfig#logprobs()}), else null. Streaming servers override this one.
     */
    default void onToken(int token, String text, TokenLogprob logprob) {
        onToken(token, text);
    }
}
