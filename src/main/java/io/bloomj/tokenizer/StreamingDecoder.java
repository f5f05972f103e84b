package io.bloomj.tokenizer;

import java.util.Arrays;

/**
 * Turns generated ids into text as they come. Byte-level BPE tokens can end in the middle of a
 * UTF-8 character (accents, emoji, CJK); the tokenizer then decodes the partial bytes as U+FFFD.
 * So each new id re-decodes a short window of recent ids and emits only the new text, holding back
 * while it ends in U+FFFD: a character is printed once, whole. The window restarts after every
 * emission, so the cost per token stays constant.
 */
public final class StreamingDecoder {
    private static final char REPLACEMENT = '\uFFFD';
    private final BloomTokenizer tokenizer;
    private int[] ids = new int[64];
    private int count;
    /** Ids before {@code prefix} are done; ids in [prefix, read) were emitted as text already. */
    private int prefix;
    private int read;

    StreamingDecoder(BloomTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text it completes ("" while a character is still incomplete). */
    public String push(int id) {
        if (count == ids.length) ids = Arrays.copyOf(ids, count * 2);
        ids[count++] = id;
        String before = tokenizer.decode(Arrays.copyOfRange(ids, prefix, read));
        String now = tokenizer.decode(Arrays.copyOfRange(ids, prefix, count));
        if (now.length() > before.length() && now.charAt(now.length() - 1) != REPLACEMENT && now.startsWith(before)) {
            prefix = read;
            read = count;
            return now.substring(before.length());
        }
        if (!now.startsWith(before) && now.indexOf(REPLACEMENT) < 0) {
            // The decoder rewrote earlier text (e.g. whitespace cleanup); emit only what is new.
            prefix = read;
            read = count;
            return now.length() > before.length() ? now.substring(before.length()) : "";
        }
        return "";
    }

    /** Text still held back (an incomplete character at the end of generation), decoded as is. */
    public String flush() {
        if (read == count) return "";
        String before = tokenizer.decode(Arrays.copyOfRange(ids, prefix, read));
        String now = tokenizer.decode(Arrays.copyOfRange(ids, prefix, count));
        prefix = read = count;
        return now.length() > before.length() ? now.substring(before.length()) : "";
    }
}
