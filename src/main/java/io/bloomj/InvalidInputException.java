package io.bloomj;

/** Arguments that make no sense (token ids outside the vocabulary, empty prompt, bad option). */
public final class InvalidInputException extends BloomjException {
    public InvalidInputException(String message) {
        super(message);
    }
}
