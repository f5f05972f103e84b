package io.bloomj.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bloomj.BloomjException;
import io.bloomj.ClosedException;
import io.bloomj.ContextLengthException;
import io.bloomj.InvalidInputException;
import io.bloomj.QueueFullException;
import io.bloomj.api.BatchGenerator;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.BloomModel;
import io.bloomj.api.Cancellation;
import io.bloomj.api.FinishReason;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationListener;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.TokenLogprob;
import io.bloomj.chat.ChatFormat;
import io.bloomj.tokenizer.BloomTokenizer;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OpenAI-compatible HTTP API over one loaded model and its continuous-batching generator.
 * Requests run on virtual threads; each waits for its own sequence's tokens, which the batch's
 * scheduler hands over through a queue (a slow client never stalls the batch). A streamed client
 * that goes away cancels its sequence at its next token, which frees its slot and KV blocks.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BloomModel model;
    private final BatchGenerator generator;
    private final BloomTokenizer tokenizer;
    private final ChatFormat format;
    private final GenerationConfig defaults;
    private final String modelId;
    private final ServerMetrics metrics;
    private final Javalin app;
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean draining;

    /**
     * Starts serving {@code model} on {@code host:port} (port 0: any free port, see {@link #port()}).
     *
     * @param modelId the name {@code /v1/models} lists and answers carry
     */
    public static OpenAiServer start(BloomModel model, String modelId, BatchOptions batch, String host, int port) {
        return new OpenAiServer(model, modelId, batch, host, port);
    }

    private OpenAiServer(BloomModel model, String modelId, BatchOptions batch, String host, int port) {
        this.model = model;
        // Without tokenizer.json only /v1/completions with token ids works (texts come back empty).
        this.tokenizer = model.tokenizer().orElse(null);
        this.format = new ChatFormat(model.config().bosTokenId(), model.config().eosTokenId());
        this.defaults = model.generationDefaults();
        this.modelId = modelId;
        GeneratorHolder holder = new GeneratorHolder();
        this.metrics = new ServerMetrics(() -> holder.queueDepth(), () -> holder.running());
        this.generator = model.newBatchGenerator(batch, metrics);
        holder.generator = generator;
        this.app = Javalin.create(config -> {
            config.useVirtualThreads = true;
            config.showJavalinBanner = false;
            config.http.maxRequestSize = 16L << 20;
        });
        app.post("/v1/chat/completions", ctx -> handle(ctx, "chat", true));
        app.post("/v1/completions", ctx -> handle(ctx, "completions", false));
        app.get("/v1/models", this::models);
        app.get("/health", this::health);
        app.get("/metrics", ctx -> ctx.contentType(ServerMetrics.contentType()).result(metrics.scrape()));
        app.exception(Exception.class, (e, ctx) -> error(ctx, "other", new ApiException(500, "server_error", null, null, "internal error: " + e)));
        app.error(404, ctx -> {
            if (ctx.result() == null) error(ctx, "other", new ApiException(404, "invalid_request_error", null, "not_found", "no route " + ctx.method() + " " + ctx.path()));
        });
        app.error(405, ctx -> error(ctx, "other", new ApiException(405, "invalid_request_error", null, null, "method not allowed")));
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            generator.close();
            throw new BloomjException("cannot listen on " + host + ":" + port + ": " + rootMessage(e));
        }
    }

    /** Lets the metrics gauges read the generator, which is made after them. */
    private static final class GeneratorHolder {
        volatile BatchGenerator generator;

        int queueDepth() {
            return generator == null ? 0 : generator.queueDepth();
        }

        int running() {
            return generator == null ? 0 : generator.runningSequences();
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The port the server listens on. */
    public int port() {
        return app.port();
    }

    private void models(Context ctx) {
        ObjectNode m = JSON.createObjectNode().put("id", modelId).put("object", "model").put("created", created).put("owned_by", "bloomj");
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        list.putArray("data").add(m);
        ctx.json(list);
        metrics.request("models", 200);
    }

    private void health(Context ctx) {
        int status = draining ? 503 : 200;
        ctx.status(status).json(JSON.createObjectNode().put("status", draining ? "draining" : "ok"));
        metrics.request("health", status);
    }

    private void handle(Context ctx, String endpoint, boolean chat) {
        try {
            if (draining) throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down");
            JsonNode body;
            try {
                body = JSON.readTree(ctx.bodyAsBytes());
            } catch (JsonProcessingException e) {
                throw ApiException.invalid(null, "the body is not valid JSON: " + e.getOriginalMessage());
            } catch (IOException e) {
                throw ApiException.invalid(null, "cannot read the body: " + e.getMessage());
            }
            int limit = generator.maxSequenceTokens();
            if (tokenizer == null && (chat || !body.path("prompt").isArray() || !body.path("prompt").path(0).isIntegralNumber())) {
                throw ApiException.invalid(chat ? "messages" : "prompt", "this model has no tokenizer.json: only /v1/completions with token ids works");
            }
            CompletionRequest req = chat
                    ? CompletionRequest.chat(body, tokenizer, format, defaults, limit)
                    : CompletionRequest.completion(body, tokenizer, defaults, limit, model.config().vocabSize());
            String id = (chat ? "chatcmpl-" : "cmpl-") + Long.toHexString(created) + "-" + ids.incrementAndGet();
            if (req.stream()) stream(ctx, req, id);
            else complete(ctx, req, id);
            metrics.request(endpoint, 200);
        } catch (ApiException e) {
            error(ctx, endpoint, e);
        } catch (QueueFullException e) {
            ctx.header("Retry-After", "1");
            error(ctx, endpoint, new ApiException(429, "rate_limit_error", null, "queue_full", e.getMessage()));
        } catch (ContextLengthException e) {
            error(ctx, endpoint, new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded", e.getMessage()));
        } catch (InvalidInputException e) {
            error(ctx, endpoint, ApiException.invalid(null, e.getMessage()));
        } catch (ClosedException e) {
            error(ctx, endpoint, new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down"));
        }
    }

    private void error(Context ctx, String endpoint, ApiException e) {
        ObjectNode err = JSON.createObjectNode();
        ObjectNode o = err.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.param != null) o.put("param", e.param);
        else o.putNull("param");
        if (e.code != null) o.put("code", e.code);
        else o.putNull("code");
        ctx.status(e.status).json(err);
        metrics.request(endpoint, e.status);
    }

    private GenerationResult await(CompletableFuture<GenerationResult> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw new ApiException(500, "server_error", null, null, "generation failed: " + rootMessage(e));
        }
    }

    private void complete(Context ctx, CompletionRequest req, String id) {
        GenerationResult r = await(generator.submit(req.prompt(), req.config(), GenerationListener.NONE, null));
        ObjectNode out = JSON.createObjectNode().put("id", id).put("object", req.chat() ? "chat.completion" : "text_completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", modelId);
        ObjectNode choice = out.putArray("choices").addObject().put("index", 0);
        if (req.chat()) choice.putObject("message").put("role", "assistant").put("content", r.text());
        else choice.put("text", r.text());
        if (req.logprobs() > 0) choice.set("logprobs", logprobs(req, r.logprobs()));
        else choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(r.finishReason()));
        out.set("usage", usage(req.prompt().length, r.generatedTokens()));
        ctx.json(out);
    }

    private sealed interface Event permits Piece, Done {}

    private record Piece(String text, TokenLogprob logprob) implements Event {}

    private record Done(GenerationResult result, Throwable error) implements Event {}

    private void stream(Context ctx, CompletionRequest req, String id) {
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Cancellation cancel = new Cancellation();
        GenerationListener listener = new GenerationListener() {
            @Override
            public void onToken(int token, String text) {
                events.add(new Piece(text, null));
            }

            @Override
            public void onToken(int token, String text, TokenLogprob logprob) {
                events.add(new Piece(text, logprob));
            }
        };
        CompletableFuture<GenerationResult> f = generator.submit(req.prompt(), req.config(), listener, cancel);
        f.whenComplete((r, e) -> events.add(new Done(r, e)));
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        long createdAt = System.currentTimeMillis() / 1000;
        try {
            OutputStream out = ctx.res().getOutputStream();
            if (req.chat()) send(out, chunk(req, id, createdAt, "", null, null, true));
            while (true) {
                Event ev = events.take();
                if (ev instanceof Piece p) {
                    if (!p.text.isEmpty() || p.logprob != null) send(out, chunk(req, id, createdAt, p.text, p.logprob, null, false));
                } else if (ev instanceof Done d) {
                    if (d.error != null) {
                        ObjectNode err = JSON.createObjectNode();
                        err.putObject("error").put("message", "generation failed: " + rootMessage(d.error)).put("type", "server_error");
                        send(out, err);
                    } else {
                        send(out, chunk(req, id, createdAt, "", null, finishReason(d.result.finishReason()), false));
                        if (req.usageChunk()) {
                            ObjectNode u = base(req, id, createdAt);
                            u.putArray("choices");
                            u.set("usage", usage(req.prompt().length, d.result.generatedTokens()));
                            send(out, u);
                        }
                    }
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return;
                }
            }
        } catch (IOException e) {
            // The client went away: stop its sequence, which frees its slot and KV blocks.
            cancel.cancel();
        } catch (InterruptedException e) {
            cancel.cancel();
            Thread.currentThread().interrupt();
        }
    }

    private static void send(OutputStream out, ObjectNode data) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ObjectNode base(CompletionRequest req, String id, long createdAt) {
        return JSON.createObjectNode().put("id", id).put("object", req.chat() ? "chat.completion.chunk" : "text_completion")
                .put("created", createdAt).put("model", modelId);
    }

    private ObjectNode chunk(CompletionRequest req, String id, long createdAt, String text, TokenLogprob lp, String finish, boolean first) {
        ObjectNode c = base(req, id, createdAt);
        ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
        if (req.chat()) {
            ObjectNode delta = choice.putObject("delta");
            if (first) delta.put("role", "assistant");
            if (finish == null) delta.put("content", text);
        } else {
            choice.put("text", text);
        }
        if (lp != null && req.logprobs() > 0) choice.set("logprobs", logprobs(req, List.of(lp)));
        else choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        return c;
    }

    /** OpenAI's logprobs object: chat's {@code content} list, or the legacy completions columns. */
    private ObjectNode logprobs(CompletionRequest req, List<TokenLogprob> lps) {
        ObjectNode o = JSON.createObjectNode();
        if (req.chat()) {
            ArrayNode content = o.putArray("content");
            for (TokenLogprob lp : lps) {
                ObjectNode t = tokenEntry(lp.token(), lp.logprob());
                ArrayNode top = t.putArray("top_logprobs");
                for (int i = 0; i < Math.min(req.topLogprobs(), lp.top().size()); i++) {
                    top.add(tokenEntry(lp.top().get(i).token(), lp.top().get(i).logprob()));
                }
                content.add(t);
            }
        } else {
            ArrayNode tokens = o.putArray("tokens"), values = o.putArray("token_logprobs"), top = o.putArray("top_logprobs");
            for (TokenLogprob lp : lps) {
                tokens.add(piece(lp.token()));
                values.add(lp.logprob());
                ObjectNode alts = top.addObject();
                for (int i = 0; i < Math.min(Math.max(1, req.topLogprobs()), lp.top().size()); i++) {
                    alts.put(piece(lp.top().get(i).token()), lp.top().get(i).logprob());
                }
            }
        }
        return o;
    }

    private ObjectNode tokenEntry(int token, double logprob) {
        String s = piece(token);
        ObjectNode t = JSON.createObjectNode().put("token", s).put("logprob", logprob);
        ArrayNode bytes = t.putArray("bytes");
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xFF);
        return t;
    }

    private String piece(int token) {
        return tokenizer == null ? "" : tokenizer.decode(new int[] {token});
    }

    private static ObjectNode usage(int prompt, int completion) {
        return JSON.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    }

    private static String finishReason(FinishReason r) {
        return switch (r) {
            case LENGTH, CONTEXT -> "length";
            case EOS, STOP, CANCELLED -> "stop";
        };
    }

    /**
     * Stops accepting requests (503; /health reports draining), lets running and queued sequences
     * finish for up to {@code grace}, cancels the rest, then stops listening.
     */
    public void drain(Duration grace) {
        draining = true;
        generator.drain(grace);
        app.stop();
    }

    /** Cancels everything at once and stops listening. */
    @Override
    public void close() {
        draining = true;
        generator.close();
        app.stop();
    }
}
