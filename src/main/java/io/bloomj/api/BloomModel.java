package io.bloomj.api;

import io.bloomj.ClosedException;
import io.bloomj.InvalidInputException;
import io.bloomj.compute.Backend;
import io.bloomj.compute.Bandwidth;
import io.bloomj.compute.Graph;
import io.bloomj.engine.BatchEngine;
import io.bloomj.engine.BloomGraph;
import io.bloomj.engine.Sequence;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.BloomWeights;
import io.bloomj.model.Checkpoint;
import io.bloomj.tokenizer.BloomTokenizer;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A loaded BLOOM model: memory-mapped weights on a backend, and its tokenizer when the folder has
 * one. Cheap to keep, costly to open.
 *
 * <pre>{@code
 * try (BloomModel model = Bloom.load(Path.of("bloomz-3b-dpo-chat"), LoadOptions.defaults().withThreads(2))) {
 *     GenerationResult r = model.generate("C'est quoi le deep learning ?",
 *             GenerationConfig.builder().maxNewTokens(64).temperature(0.7f).topP(0.9f).seed(1).build(),
 *             (token, text) -> System.out.print(text));
 *     try (ChatSession chat = model.newChat()) {                  // multi-turn, the KV cache is reused
 *         chat.ask("Bonjour !", GenerationConfig.greedy(64), (t, text) -> System.out.print(text));
 *     }
 *     Score s = model.score("La capitale de la France est", " Paris"); // research: log-likelihood
 *     float[] next = model.logits(new int[] {1, 5, 9});            // research: one forward pass
 * }
 * }</pre>
 *
 * <p>Thread safety: the model is safe to share; {@link #logits}, {@link #generate}, {@link #score}
 * and {@link #perplexity} may be called from several threads, each call using its own sequence.
 * Sessions and chats are for one thread each. Closing the model unmaps the weights: close every
 * session first.
 */
public final class BloomModel implements AutoCloseable {
    /** Rows of logits a step can return at once (scoring every position goes in chunks of this). */
    static final int LOGIT_ROWS = 8;

    private final Checkpoint checkpoint;
    private final BloomWeights weights;
    /** Holds weights quantized at load time (null when the checkpoint's are used as they are). */
    private final Arena quantized;
    private final Backend backend;
    private final LoadOptions options;
    private final BloomTokenizer tokenizer;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    BloomModel(Checkpoint checkpoint, BloomWeights weights, Arena quantized, Backend backend, LoadOptions options, BloomTokenizer tokenizer) {
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.quantized = quantized;
        this.backend = backend;
        this.options = options;
        this.tokenizer = tokenizer;
    }

    public BloomConfig config() {
        return checkpoint.config();
    }

    public LoadOptions options() {
        return options;
    }

    /** The tokenizer from the model folder's tokenizer.json, if there is one. */
    public Optional<BloomTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The tokenizer, or a clear error for a folder without tokenizer.json. */
    public BloomTokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new InvalidInputException(checkpoint.dir() + " has no tokenizer.json: text needs the model's tokenizer "
                    + "(token ids work without it)");
        }
        return tokenizer;
    }

    /** Generation defaults from the folder's generation_config.json (greedy when there is none). */
    public GenerationConfig generationDefaults() {
        return GenerationConfig.fromModelFolder(checkpoint.dir());
    }

    /** The backend's description (device, threads). */
    public String backendDescription() {
        return backend.description();
    }

    /** What computes prompt rows' matmuls: {@code "exact"} or the native bf16 GEMM ({@link LoadOptions#withMatmul}). */
    public String prefillGemm() {
        return backend.prefillGemm();
    }

    /**
     * Why {@link io.bloomj.compute.MatmulMode#BF16} was asked but prompt rows run the exact path
     * (no oneDNN, no bf16 instructions, a device backend, weights that are not bf16), or null.
     */
    public String matmulNote() {
        if (options.matmul() != io.bloomj.compute.MatmulMode.BF16) return null;
        if (backend.matmulFallback() != null) return backend.matmulFallback();
        if ("exact".equals(backend.prefillGemm())) {
            return "cpu".equals(backend.name()) ? "the CPU backend was opened for exact matmuls"
                    : "the " + backend.name() + " backend runs exact matmuls only (--matmul bf16 is for the CPU backend)";
        }
        if (weights.matrixDtype() != io.bloomj.tensor.DType.BF16) {
            return "the matrices are " + weights.matrixDtype().name().toLowerCase(java.util.Locale.ROOT) + ", not bf16";
        }
        return null;
    }

    /** Host bytes the backend copies the bf16 matrices into (the CPU backend's panels), or 0. */
    public long weightCopyBytes() {
        return backend.copiesBf16Matrices() && weights.matrixDtype() == io.bloomj.tensor.DType.BF16 ? weightBytesPerToken() : 0;
    }

    /** Measures the memory bandwidth of the model's backend (the roofline of decoding). */
    public Bandwidth measureBandwidth(long bytes, int repetitions) {
        ensureOpen();
        return backend.measureBandwidth(bytes, repetitions);
    }

    /** Peak device memory of the backend so far, or -1 for the CPU backend (host memory). */
    public long peakDeviceMemory() {
        return backend.peakDeviceMemory();
    }

    /** The dtype of the weight matrices as loaded (for reports): BF16, F16, F32 or Q8_0. */
    public String weightDtype() {
        return weights.matrixDtype().name();
    }

    /** The loaded weights (the matrices quantized when {@link LoadOptions#weights()} asked for it). */
    public BloomWeights weights() {
        return weights;
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
        ensureOpen();
        BloomConfig c = config();
        Graph graph = graph(contextLength);
        return new Session(new Sequence(graph, backend.plan(graph), contextLength, c.vocabSize()),
                c.vocabSize(), c.eosTokenId(), tokenizer);
    }

    /** A multi-turn chat in the model's format, with the configured context length. */
    public ChatSession newChat() {
        return newChat(null);
    }

    /** A multi-turn chat that starts with {@code preamble} (system text), or none when null. */
    public ChatSession newChat(String preamble) {
        return new ChatSession(newSession(), requireTokenizer(), config(), preamble);
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
        return generate(prompt, GenerationConfig.greedy(maxNewTokens), GenerationListener.NONE);
    }

    public GenerationResult generate(int[] prompt, GenerationConfig config, GenerationListener listener) {
        return generate(prompt, config, listener, null);
    }

    public GenerationResult generate(int[] prompt, GenerationConfig config, GenerationListener listener, Cancellation cancel) {
        try (Session s = newSession(fit((long) prompt.length + config.maxNewTokens()))) {
            return s.generate(prompt, config, listener, cancel);
        }
    }

    /** Encodes {@code prompt} (no special tokens added) and continues it. */
    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener) {
        return generate(prompt, config, listener, null);
    }

    public GenerationResult generate(String prompt, GenerationConfig config, GenerationListener listener, Cancellation cancel) {
        return generate(requireTokenizer().encode(prompt), config, listener, cancel);
    }

    /**
     * Log-likelihood of {@code continuation} after {@code context} (the basis of multiple-choice
     * evaluation): both are tokenized separately and concatenated, as evaluation harnesses do. An
     * empty context is replaced by the end-of-sequence token, which BLOOM's documents start after.
     */
    public Score score(String context, String continuation) {
        BloomTokenizer tok = requireTokenizer();
        return score(tok.encode(context), tok.encode(continuation));
    }

    public Score score(int[] context, int[] continuation) {
        if (continuation.length == 0) throw new InvalidInputException("the continuation is empty");
        int[] ctx = context.length == 0 ? new int[] {config().eosTokenId()} : context;
        int[] all = Arrays.copyOf(ctx, ctx.length + continuation.length);
        System.arraycopy(continuation, 0, all, ctx.length, continuation.length);
        try (Session s = newSession(fit(all.length))) {
            double[] lp = s.appendScored(all);
            double[] per = Arrays.copyOfRange(lp, ctx.length, all.length);
            double sum = 0;
            for (double v : per) sum += v;
            return new Score(continuation, per, sum);
        }
    }

    /**
     * Perplexity of a long token sequence with a sliding window (transformers' recipe for
     * fixed-length models): windows of {@code window} tokens advancing by {@code stride}; each token
     * is scored once, with up to {@code window - stride} tokens of context carried over.
     */
    public Perplexity perplexity(int[] tokens, int window, int stride) {
        if (tokens.length < 2) throw new InvalidInputException("perplexity needs at least 2 tokens, got " + tokens.length);
        if (window < 2 || window > options.contextLength()) {
            throw new InvalidInputException("window must be in [2, " + options.contextLength() + "] (the context), got " + window);
        }
        if (stride < 1 || stride > window) throw new InvalidInputException("stride must be in [1, window], got " + stride);
        double nll = 0;
        int scored = 0, windows = 0;
        int prevEnd = 0;
        try (Session s = newSession(window)) {
            for (int begin = 0; ; begin += stride) {
                int end = Math.min(begin + window, tokens.length);
                int targets = end - prevEnd;                      // score only tokens no earlier window scored
                s.reset();
                double[] lp = s.appendScored(Arrays.copyOfRange(tokens, begin, end));
                for (int i = Math.max(1, lp.length - targets); i < lp.length; i++) {
                    nll -= lp[i];
                    scored++;
                }
                windows++;
                prevEnd = end;
                if (end == tokens.length) break;
            }
        }
        return new Perplexity(Math.exp(nll / scored), nll, scored, windows);
    }

    /**
     * A continuous-batching generator: sequences submitted to it are decoded together, up to
     * {@link BatchOptions#parallel()} per step, sharing one KV pool (see {@link BatchGenerator}).
     * Each sequence may hold up to the configured context length. Close it before the model.
     */
    public BatchGenerator newBatchGenerator(BatchOptions batch, BatchGenerator.Observer observer) {
        ensureOpen();
        BloomConfig c = config();
        int context = options.contextLength();
        long kv = batch.kvTokens() > 0 ? batch.kvTokens() : (long) batch.parallel() * context;
        int blocks = (int) Math.min(Integer.MAX_VALUE, (kv + BatchOptions.BLOCK_SIZE - 1) / BatchOptions.BLOCK_SIZE);
        int rows = Math.max(batch.parallel(), Math.min(batch.prefillRows(), options.batchSize()) + batch.parallel());
        Graph graph = BloomGraph.buildBatched(c, weights, rows, BatchOptions.BLOCK_SIZE, blocks, batch.parallel());
        BatchEngine engine = new BatchEngine(graph, backend.plan(graph), batch.parallel(), BatchOptions.BLOCK_SIZE, blocks, context,
                c.vocabSize());
        return new BatchGenerator(engine, batch, tokenizer, c.eosTokenId(), c.vocabSize(), context, observer);
    }

    /**
     * Generates for every request at once, decoding them together (batched: the weights are read
     * once per step for all of them), and returns the results in order. Each sequence gets exactly
     * the tokens it would get alone; its listener streams its tokens as they come (on the batch's
     * thread).
     */
    public List<GenerationResult> generateBatch(List<BatchRequest> requests) {
        if (requests.isEmpty()) return List.of();
        List<int[]> prompts = new ArrayList<>();
        for (BatchRequest r : requests) prompts.add(r.prompt() != null ? r.prompt() : requireTokenizer().encode(r.text()));
        long kv = 0;
        for (int i = 0; i < requests.size(); i++) kv += fit((long) prompts.get(i).length + requests.get(i).config().maxNewTokens());
        int parallel = Math.min(requests.size(), 64);
        BatchOptions batch = BatchOptions.of(parallel).withQueue(requests.size())
                .withKvTokens((int) Math.min(Integer.MAX_VALUE - BatchOptions.BLOCK_SIZE, kv + (long) requests.size() * BatchOptions.BLOCK_SIZE));
        try (BatchGenerator g = newBatchGenerator(batch, BatchGenerator.Observer.NONE)) {
            List<java.util.concurrent.CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                futures.add(g.submit(prompts.get(i), requests.get(i).config(), requests.get(i).listener(), null));
            }
            List<GenerationResult> out = new ArrayList<>();
            for (var f : futures) {
                try {
                    out.add(f.join());
                } catch (java.util.concurrent.CompletionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw e;
                }
            }
            return out;
        }
    }

    /** A cache just big enough for one call, never beyond the configured context (which reports overflow). */
    private int fit(long tokens) {
        return (int) Math.max(1, Math.min(tokens, options.contextLength()));
    }

    private void ensureOpen() {
        if (closed.get()) throw new ClosedException("this model");
    }

    /**
     * Frees the backend and unmaps the weights. A second call does nothing; any later use, and a
     * step another thread is about to start, fail with a {@link ClosedException} (a step already
     * running finishes first).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        backend.close();
        if (quantized != null) quantized.close();
        checkpoint.close();
        if (tokenizer != null) tokenizer.close();
    }
}
