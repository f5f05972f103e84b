package io.bloomj.api;

import io.bloomj.InvalidInputException;
import io.bloomj.chat.ChatFormat;
import io.bloomj.model.BloomConfig;
import io.bloomj.tokenizer.BloomTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A multi-turn conversation in the model's chat format ({@link ChatFormat}). The KV cache is kept
 * between turns: a new question prefills only its own tokens, never the history again. When the
 * history no longer leaves room for the question and the answer, the oldest exchanges are dropped
 * whole and the rest is prefilled once more; {@link Reply#droppedExchanges()} says so.
 *
 * <pre>{@code
 * try (ChatSession chat = model.newChat("Tu es un assistant serviable.")) {
 *     Reply r = chat.ask("Bonjour, qui es-tu ?", GenerationConfig.greedy(128), (t, text) -> System.out.print(text));
 *     chat.ask("Et en anglais ?", GenerationConfig.greedy(128), (t, text) -> System.out.print(text));
 * }
 * }</pre>
 *
 * Not thread-safe, except {@link #cancel()}, which stops the answer in progress from any thread.
 */
public final class ChatSession implements AutoCloseable {
    /** An answer, and how many of the oldest exchanges had to be dropped to make room for it. */
    public record Reply(GenerationResult result, int droppedExchanges) {}

    private final Session session;
    private final BloomTokenizer tokenizer;
    private final ChatFormat format;
    private final int eos;
    private final int[] preamble;
    private final List<ChatFormat.Exchange> history = new ArrayList<>();
    /** The last answer's final token when it was not eos: it is generated but not yet in the cache. */
    private int[] unfed = new int[0];
    private final Cancellation cancellation = new Cancellation();

    ChatSession(Session session, BloomTokenizer tokenizer, BloomConfig config, String preamble) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.format = new ChatFormat(config.bosTokenId(), config.eosTokenId());
        this.eos = config.eosTokenId();
        this.preamble = preamble == null || preamble.isEmpty() ? new int[0] : tokenizer.encode(preamble);
    }

    /** Exchanges so far (dropped ones excluded). */
    public int exchanges() {
        return history.size();
    }

    /** Tokens in the cache. */
    public int length() {
        return session.length();
    }

    /** Forgets the conversation (the preamble stays). */
    public void reset() {
        history.clear();
        unfed = new int[0];
        session.reset();
    }

    /** Stops the answer in progress (from any thread); it ends with {@link FinishReason#CANCELLED}. */
    public void cancel() {
        cancellation.cancel();
    }

    /** Asks {@code user} and streams the answer to {@code listener}. */
    public Reply ask(String user, GenerationConfig config, GenerationListener listener) {
        cancellation.reset();
        int[] userTokens = tokenizer.encode(user);
        int[] turn = ChatFormat.concat(unfed, format.userTurn(userTokens));
        int dropped = 0;
        int room = session.contextLength() - config.maxNewTokens();
        if (preamble.length + format.userTurn(userTokens).length > room) {
            throw new InvalidInputException("the question (" + userTokens.length + " tokens) and an answer of up to "
                    + config.maxNewTokens() + " tokens do not fit the context of " + session.contextLength() + " tokens");
        }
        if (session.length() + turn.length > room) {
            // Drop whole exchanges, oldest first, then prefill what remains once.
            while (!history.isEmpty() && format.render(preamble, history, userTokens).length > room) {
                history.removeFirst();
                dropped++;
            }
            session.reset();
            turn = format.render(preamble, history, userTokens);
        } else if (session.length() == 0) {
            turn = ChatFormat.concat(preamble, turn);
        }
        GenerationResult r = session.generate(turn, config, listener, cancellation);
        int[] answer = r.tokens();
        boolean endedWithEos = answer.length > 0 && answer[answer.length - 1] == eos && r.finishReason() == FinishReason.EOS;
        int[] kept = endedWithEos ? Arrays.copyOf(answer, answer.length - 1) : answer;
        // The cache holds every generated token but the last; the last (unless it is the closing eos,
        // which the next user turn starts with anyway) is fed with the next question.
        unfed = endedWithEos || kept.length == 0 ? new int[0] : new int[] {kept[kept.length - 1]};
        history.add(new ChatFormat.Exchange(userTokens, kept));
        return new Reply(r, dropped);
    }

    @Override
    public void close() {
        session.close();
    }
}
