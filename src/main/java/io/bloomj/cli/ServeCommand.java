package io.bloomj.cli;

import io.bloomj.BloomjException;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.BloomModel;
import io.bloomj.serve.OpenAiServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import sun.misc.Signal;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bloomj serve}: loads the model once and serves the OpenAI API with continuous batching
 * until Ctrl-C or SIGTERM, which drain it: no new requests, running ones finish within the grace
 * period (the rest are cancelled), exit code 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the model over an OpenAI-compatible HTTP API with continuous batching:",
                "POST /v1/chat/completions, POST /v1/completions (stream: true for server-sent events), GET /v1/models, GET /health, GET /metrics."})
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (0: any free port, printed at start) (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--parallel", defaultValue = "4", description = "Most sequences decoded together in one step (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--queue", defaultValue = "64", description = "Most requests waiting for a slot; more get HTTP 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--kv-tokens", defaultValue = "0",
            description = "KV cache shared by all sequences, in tokens (0: parallel x context length) (default: ${DEFAULT-VALUE}).")
    int kvTokens;

    @Option(names = "--prefill-chunk", defaultValue = "256",
            description = "Most prompt tokens prefilled per step next to the running sequences (default: ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Option(names = "--grace", defaultValue = "30", description = "Seconds running requests get to finish on Ctrl-C / SIGTERM (default: ${DEFAULT-VALUE}).")
    int grace;

    @Option(names = "--model-id", description = "Model name /v1/models lists (default: the --model value).")
    String modelId;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 65535) throw new BloomjException("--port must be in [0, 65535], got " + port);
        if (grace < 0) throw new BloomjException("--grace must be >= 0, got " + grace);
        BatchOptions batch = new BatchOptions(parallel, queue, kvTokens, prefillChunk);
        CountDownLatch stop = new CountDownLatch(1);
        for (String sig : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(sig), s -> stop.countDown());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // no signal support: the JVM's default handling stays
            }
        }
        try (BloomModel m = model.load(err)) {
            OpenAiServer server = OpenAiServer.start(m, modelId != null ? modelId : model.model, batch, host, port);
            err.printf("bloomj serve: %s on %s, listening on http://%s:%d (parallel %d, queue %d); Ctrl-C stops%n",
                    modelId != null ? modelId : model.model, m.backendDescription(), host, server.port(), parallel, queue);
            err.flush();
            stop.await();
            err.printf("bloomj serve: draining (up to %d s)...%n", grace);
            err.flush();
            server.drain(Duration.ofSeconds(grace));
            err.println("bloomj serve: stopped");
            err.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
