package io.bloomj.api;

/**
 * One sequence of {@link BloomModel#generateBatch}: a prompt (token ids, or text the model's
 * tokenizer encodes), its own generation settings and its own streaming listener.
 */
public record BatchRequest(int[] prompt, String text, GenerationConfig config, GenerationListener listener) {
    public BatchRequest {
        if ((prompt == null) == (text == null)) throw new IllegalArgumentException("give either token ids or text");
        if (config == null) throw new IllegalArgumentException("no generation config");
        if (listener == null) listener = GenerationListener.NONE;
    }

    public static BatchRequest of(int[] prompt, GenerationConfig config) {
        return new BatchRequest(prompt.clone(), null, config, GenerationListener.NONE);
    }

    public static BatchRequest of(String text, GenerationConfig config) {
        return new BatchRequest(null, text, config, GenerationListener.NONE);
    }

    public BatchRequest withListener(GenerationListener listener) {
        return new BatchRequest(prompt, text, config, listener);
    }
}
