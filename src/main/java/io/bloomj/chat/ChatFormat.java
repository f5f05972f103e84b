package io.bloomj.chat;

import java.util.Arrays;
import java.util.List;

/**
 * The prompt format the cmarkea BLOOMZ chat models were trained on:
 *
 * <pre>
 * [preamble]&lt;/s&gt;{user 1}&lt;s&gt;{bot 1}&lt;/s&gt;{user 2}&lt;s&gt;{bot 2}&lt;/s&gt;{user 3}&lt;s&gt;
 * </pre>
 *
 * Each user turn follows {@code </s>} and ends with {@code <s>}, after which the model answers; the
 * answer ends with {@code </s>} (the model's eos), which is also the opening of the next user turn.
 * Works on token ids: text is tokenized by the caller, the two markers are the config's ids.
 */
public final class ChatFormat {
    private final int bos;
    private final int eos;

    /** One finished exchange: the user's text tokens and the answer's tokens (without the closing eos). */
    public record Exchange(int[] user, int[] answer) {}

    public ChatFormat(int bosTokenId, int eosTokenId) {
        this.bos = bosTokenId;
        this.eos = eosTokenId;
    }

    /** {@code </s>{user}<s>}: what a user turn adds to the conversation. */
    public int[] userTurn(int[] userText) {
        int[] out = new int[userText.length + 2];
        out[0] = eos;
        System.arraycopy(userText, 0, out, 1, userText.length);
        out[out.length - 1] = bos;
        return out;
    }

    /** The whole conversation so far, ending with the user turn the model is to answer. */
    public int[] render(int[] preamble, List<Exchange> history, int[] nextUser) {
        int[] out = preamble == null ? new int[0] : preamble.clone();
        for (Exchange e : history) {
            out = concat(out, userTurn(e.user()));
            out = concat(out, e.answer());
        }
        return concat(out, userTurn(nextUser));
    }

    public static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
