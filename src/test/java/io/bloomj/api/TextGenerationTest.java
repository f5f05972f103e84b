package io.bloomj.api;

import io.bloomj.chat.ChatFormat;
import io.bloomj.testing.ReferenceBloom;
import io.bloomj.testing.TestTokenizer;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Text-level generation, chat, scoring on a tiny random checkpoint with the test tokenizer. */
class TextGenerationTest {
    @TempDir
    Path dir;

    /** The independent double-precision model of the checkpoint written below. */
    private ReferenceBloom reference;

    @BeforeEach
    void checkpoint() throws IOException {
        TinyBloom spec = TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12);
        reference = new ReferenceBloom(spec, spec.writeTo(dir));
        TestTokenizer.write(dir);
    }

    /** log softmax(logits)[token] in double, from the reference's logits. */
    private static double logProb(double[] logits, int token) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double l : logits) max = Math.max(max, l);
        for (double l : logits) sum += Math.exp(l - max);
        return logits[token] - max - Math.log(sum);
    }

    /**
     * Log-probabilities follow from logits agreeing to ~1e-3 (ReferenceParityTest): a difference of
     * d in every logit moves a log-softmax by at most 2d.
     */
    private static final double LOGPROB_TOLERANCE = 3e-3;

    private BloomModel load(int context) {
        return Bloom.load(dir, LoadOptions.defaults().withThreads(2).withContextLength(context));
    }

    @Test
    void streamedPiecesMakeTheText() {
        try (BloomModel m = load(128)) {
            StringBuilder streamed = new StringBuilder();
            GenerationConfig c = GenerationConfig.builder().maxNewTokens(40).temperature(1f).seed(3).stopAtEos(false).build();
            // A random model emits arbitrary bytes (not always valid UTF-8), so replacement characters
            // may appear here; that pieces never split a valid character is BloomTokenizerTest's job.
            GenerationResult r = m.generate("Bonjour, ça va ?", c, (t, piece) -> streamed.append(piece));
            assertEquals(streamed.toString(), r.text());
            assertEquals(m.requireTokenizer().decode(r.tokens()), r.text(), "nothing lost while holding back partial characters");
            assertEquals(40, r.generatedTokens());
            assertEquals(FinishReason.LENGTH, r.finishReason());
        }
    }

    @Test
    void stopStringsCutTheTextAndStopGeneration() {
        try (BloomModel m = load(128)) {
            GenerationConfig free = GenerationConfig.builder().maxNewTokens(30).temperature(1f).seed(5).stopAtEos(false).build();
            String full = m.generate("The quick", free, GenerationListener.NONE).text();
            assertTrue(full.length() > 8, full);
            String stop = full.substring(5, 8);
            int first = full.indexOf(stop);
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = m.generate("The quick", free.toBuilder().stopStrings(stop).build(), (t, p) -> streamed.append(p));
            assertEquals(FinishReason.STOP, r.finishReason());
            assertEquals(full.substring(0, first), r.text());
            assertEquals(r.text(), streamed.toString(), "the listener never saw the stop string");
        }
    }

    @Test
    void cancellationStopsAfterTheCurrentToken() throws Exception {
        try (BloomModel m = load(4096)) {
            Cancellation cancel = new Cancellation();
            GenerationConfig c = GenerationConfig.builder().maxNewTokens(4000).stopAtEos(false).build();
            int[] seen = {0};
            GenerationResult r = m.generate("Bonjour", c, (t, p) -> {
                if (++seen[0] == 3) cancel.cancel();
            }, cancel);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(3, r.generatedTokens());

            // from another thread, while generating
            Cancellation other = new Cancellation();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            Thread t = new Thread(() -> {
                try {
                    started.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                other.cancel();
            });
            t.start();
            GenerationResult r2 = m.generate("Bonjour", c, (tok, p) -> started.countDown(), other);
            t.join();
            assertEquals(FinishReason.CANCELLED, r2.finishReason());
            assertTrue(r2.generatedTokens() < 4000, "cancelled long before the 4000 tokens it was allowed");
        }
    }

    @Test
    void logprobsAreTheModelsLogSoftmaxWithSortedAlternatives() {
        try (BloomModel m = load(64)) {
            int[] prompt = m.requireTokenizer().encode("Bonjour");
            GenerationResult r = m.generate(prompt, GenerationConfig.builder().maxNewTokens(4).logprobs(3).stopAtEos(false).build(),
                    GenerationListener.NONE);
            assertEquals(4, r.logprobs().size());
            int[] seq = prompt.clone();
            for (int i = 0; i < 4; i++) {
                float[] logits = m.logits(seq);
                TokenLogprob lp = r.logprobs().get(i);
                assertEquals(r.tokens()[i], lp.token());
                assertEquals(Session.logSoftmaxAt(logits, lp.token()), lp.logprob(), 1e-5);
                assertEquals(3, lp.top().size());
                assertEquals(lp.token(), lp.top().getFirst().token(), "greedy: the chosen token is the most likely");
                assertTrue(lp.top().get(0).logprob() >= lp.top().get(1).logprob() && lp.top().get(1).logprob() >= lp.top().get(2).logprob());
                seq = ChatFormat.concat(seq, new int[] {r.tokens()[i]});
            }
        }
    }

    @Test
    void chatReusesTheCacheAndMatchesAFreshPrefillOfTheHistory() {
        try (BloomModel m = load(256); ChatSession chat = m.newChat("Tu es un assistant.")) {
            GenerationConfig c = GenerationConfig.builder().maxNewTokens(6).logprobs(1).build();
            String[] questions = {"Bonjour, qui es-tu ?", "Et en anglais ?", "Merci !"};
            List<ChatFormat.Exchange> history = new ArrayList<>();
            ChatFormat format = new ChatFormat(1, 2);
            int[] preamble = m.requireTokenizer().encode("Tu es un assistant.");
            for (String q : questions) {
                int before = chat.length();
                ChatSession.Reply reply = chat.ask(q, c, GenerationListener.NONE);
                assertEquals(0, reply.droppedExchanges());
                int[] user = m.requireTokenizer().encode(q);
                int[] rendered = format.render(preamble, history, user);
                assertTrue(reply.result().promptTokens() < rendered.length || before == 0,
                        "a later turn prefills only its new tokens (" + reply.result().promptTokens() + " of " + rendered.length + ")");
                GenerationResult fresh = m.generate(rendered, c, GenerationListener.NONE);
                assertArrayEquals(fresh.tokens(), reply.result().tokens(), "answer to '" + q + "'");
                for (int i = 0; i < fresh.logprobs().size(); i++) {
                    assertEquals(fresh.logprobs().get(i).logprob(), reply.result().logprobs().get(i).logprob(), 1e-4,
                            "cached and fresh prefill give the same distribution");
                }
                int[] answer = reply.result().tokens();
                if (reply.result().finishReason() == FinishReason.EOS) answer = java.util.Arrays.copyOf(answer, answer.length - 1);
                history.add(new ChatFormat.Exchange(user, answer));
            }
            assertEquals(3, chat.exchanges());
        }
    }

    @Test
    void chatDropsWholeOldestExchangesWhenTheContextIsFull() {
        try (BloomModel m = load(48); ChatSession chat = m.newChat()) {
            GenerationConfig c = GenerationConfig.builder().maxNewTokens(8).stopAtEos(false).build();
            int dropped = 0;
            for (int i = 0; i < 6; i++) dropped += chat.ask("Bonjour, ça va " + i + " ?", c, GenerationListener.NONE).droppedExchanges();
            assertTrue(dropped > 0, "six exchanges of ~20 tokens cannot fit 48 tokens");
            assertEquals(6 - dropped, chat.exchanges());
            assertTrue(chat.length() <= 48);
        }
    }

    @Test
    void scoreIsTheSumOfTokenLogProbabilities() {
        try (BloomModel m = load(64)) {
            Score s = m.score("La capitale de la France est", " Paris.");
            int[] ctx = m.requireTokenizer().encode("La capitale de la France est");
            int[] all = ChatFormat.concat(ctx, s.tokens());
            double[][] logits = reference.logits(all);
            double sum = 0;
            for (int i = 0; i < s.tokens().length; i++) {
                double lp = logProb(logits[ctx.length - 1 + i], s.tokens()[i]);
                assertEquals(lp, s.perToken()[i], LOGPROB_TOLERANCE, "token " + i);
                sum += lp;
            }
            assertTrue(s.tokens().length >= 2, "the continuation is several tokens: " + s.tokens().length);
            assertEquals(sum, s.sum(), LOGPROB_TOLERANCE * s.tokens().length);
            assertEquals(sum / s.tokens().length, s.mean(), LOGPROB_TOLERANCE);
        }
    }

    /**
     * Sliding-window perplexity against the reference computed here from scratch: each window is a
     * fresh sequence of at most {@code window} tokens starting every {@code stride}, and each token
     * is scored once, in the first window that reaches it, with that window's context.
     */
    @Test
    void perplexityScoresEveryTokenOnceWithSlidingWindows() {
        int window = 32, stride = 12;
        try (BloomModel m = load(window)) {
            int[] tokens = m.requireTokenizer().encode("Bonjour, ça va ? The quick brown fox jumps over the lazy dog. C'est quoi le deep learning ?");
            assertTrue(tokens.length > 2 * window, "several windows: " + tokens.length + " tokens");
            double nll = 0;
            int scored = 0, windows = 0, prevEnd = 0;
            for (int begin = 0; prevEnd < tokens.length; begin += stride) {
                int end = Math.min(begin + window, tokens.length);
                int[] w = java.util.Arrays.copyOfRange(tokens, begin, end);
                double[][] logits = reference.logits(w);
                for (int t = Math.max(prevEnd, begin + 1); t < end; t++) {
                    nll -= logProb(logits[t - begin - 1], tokens[t]);
                    scored++;
                }
                windows++;
                prevEnd = end;
            }
            Perplexity sliding = m.perplexity(tokens, window, stride);
            assertEquals(tokens.length - 1, scored);
            assertEquals(scored, sliding.scoredTokens());
            assertEquals(windows, sliding.windows());
            assertEquals(nll, sliding.nll(), LOGPROB_TOLERANCE * scored);
            assertEquals(Math.exp(nll / scored), sliding.perplexity(), LOGPROB_TOLERANCE * sliding.perplexity());

            // Windows change the result (less context for later tokens): the check above can tell them apart.
            double[][] whole = reference.logits(tokens);
            double wholeNll = 0;
            for (int t = 1; t < tokens.length; t++) wholeNll -= logProb(whole[t - 1], tokens[t]);
            assertTrue(Math.abs(wholeNll - nll) > 2 * LOGPROB_TOLERANCE * scored,
                    "one long window gives " + wholeNll + ", sliding windows " + nll + ": too close to prove anything");
        }
    }

    @Test
    void generationDefaultsComeFromGenerationConfigJson() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"do_sample\": true, \"temperature\": 0.7, \"top_p\": 0.9, \"top_k\": 40, \"repetition_penalty\": 1.1, \"max_new_tokens\": 77}");
        try (BloomModel m = load(64)) {
            GenerationConfig d = m.generationDefaults();
            assertEquals(0.7f, d.temperature(), 1e-6);
            assertEquals(0.9f, d.topP(), 1e-6);
            assertEquals(40, d.topK());
            assertEquals(1.1f, d.repetitionPenalty(), 1e-6);
            assertEquals(77, d.maxNewTokens());
        }
        Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": false, \"temperature\": 0.7}");
        try (BloomModel m = load(64)) {
            assertEquals(0f, m.generationDefaults().temperature(), "do_sample false is greedy");
        }
    }

    @Test
    void aTokenizerLargerThanTheEmbeddingIsRefused() throws IOException {
        TinyBloom.standard().withVocab(100).writeTo(dir);   // overwrite the weights with a 100-token vocabulary
        io.bloomj.CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(io.bloomj.CheckpointException.class, () -> load(64));
        assertTrue(e.getMessage().contains("100 rows"), e.getMessage());
    }
}
