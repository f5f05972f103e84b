package io.bloomj.api;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Graph;
import io.bloomj.engine.BloomGraph;
import io.bloomj.engine.Sequence;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.BloomWeights;
import io.bloomj.model.Checkpoint;

/**
 * A loaded BLOOM model: memory-mapped weights on a backend. Cheap to keep, costly to open.
 *
 * <pre>{@code
 * try (BloomModel model = Bloom.load(Path.of("bloomz-3b"), LoadOptions.defaults().withThreads(2))) {
 *     float[] next = model.logits(new int[] {1, 5, 9});          // research: one forward pass
 *     GenerationResult r = model.generate(new int[] {1, 5, 9}, 16); // greedy continuation
 *     try (Session chat = model.newSession()) {                   // incremental use of the KV cache
 *         chat.append(1, 5, 9);
 *         float[] after = chat.append(42);
 *     }
 * }
 * }</pre>
 *
 * <p>Thread safety: the model is safe to share; {@link #logits} and {@link #generate} may be called
 * from several threads, each call using its own sequence. A {@link Session} is for one thread.
 * Closing the model unmaps the weights: close every session first.
 */
public final class BloomModel implements AutoCloseable {
    /** Rows of logits a step can return at once (scoring every position goes in chunks of this). */
    static final int LOGIT_ROWS = 8;

    private final Checkpoint checkpoint;
    private final BloomWeights weights;
    private final Backend backend;
    private final LoadOptions options;

    BloomModel(Checkpoint checkpoint, BloomWeights weights, Backend backend, LoadOptions options) {
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.backend = backend;
        this.options = options;
    }

    public BloomConfig config() {
        return checkpoint.config();
    }

    public LoadOptions options() {
        return options;
    }

    /** The backend's description (device, threads). */
    public String backendDescription() {
        return backend.description();
    }

    /** Weight bytes read per decoded token (every matrix once, the LM head included). */
    public long weightBytesPerToken() {
        return weights.bytesPerToken();
    }

    /** A session with the configured context length. */
    public Session newSession() {
        return newSession(options.contextLength());
    }

    /** Memory a session of {@code contextLength} tokens needs besides the weights. */
    public MemoryPlan memoryPlan(int contextLength) {
        return MemoryPlan.of(graph(contextLength));
    }

    private Graph graph(int contextLength) {
        return BloomGraph.build(config(), weights, Math.min(options.batchSize(), contextLength), contextLength,
                Math.min(LOGIT_ROWS, contextLength));
    }

    /** A session whose KV cache holds {@code contextLength} tokens. */
    public Session newSession(int contextLength) {
        BloomConfig c = config();
        Graph graph = graph(contextLength);
        return new Session(new Sequence(graph, backend.plan(graph), contextLength, c.vocabSize()),
                c.vocabSize(), c.eosTokenId());
    }

    /** Logits (vocab-sized) predicting the token after {@code tokens}. */
    public float[] logits(int[] tokens) {
        try (Session s = newSession(fit(tokens.length))) {
            return s.append(tokens);
        }
    }

    /** Logits after every position of {@code tokens}, {@code [tokens.length][vocab]}. */
    public float[][] logitsPerPosition(int[] tokens) {
        try (Session s = newSession(fit(tokens.length))) {
            return s.appendAll(tokens);
        }
    }

    /** Greedy continuation of {@code prompt}, stopping at eos or after {@code maxNewTokens}. */
    public GenerationResult generate(int[] prompt, int maxNewTokens) {
        return generate(prompt, GenerationOptions.greedy(maxNewTokens), TokenListener.NONE);
    }

    public GenerationResult generate(int[] prompt, GenerationOptions generation, TokenListener listener) {
        try (Session s = newSession(fit(prompt.length + generation.maxNewTokens()))) {
            return s.generate(prompt, generation, listener);
        }
    }

    /** A cache just big enough for one call, never beyond the configured context (which reports overflow). */
    private int fit(long tokens) {
        return (int) Math.max(1, Math.min(tokens, options.contextLength()));
    }

    @Override
    public void close() {
        backend.close();
        checkpoint.close();
    }
}
