package io.bloomj.serve;

import io.bloomj.api.BatchGenerator;
import io.bloomj.api.FinishReason;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.IntSupplier;

/**
 * What {@code GET /metrics} reports, in the Prometheus text format: requests by endpoint and
 * status, queue depth and running sequences, prompt and generated tokens, and histograms of the
 * time to first token and of the time between tokens. Fed by the HTTP handlers and, as the
 * {@link BatchGenerator.Observer}, by the scheduler.
 */
final class ServerMetrics implements BatchGenerator.Observer {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter promptTokens;
    private final Counter generatedTokens;
    private final Histogram firstToken;
    private final Histogram perToken;
    private final Counter steps;
    private final Counter finished;

    ServerMetrics(IntSupplier queueDepth, IntSupplier running) {
        requests = Counter.builder().name("bloomj_requests_total").help("HTTP requests by endpoint and status code")
                .labelNames("endpoint", "status").register(registry);
        promptTokens = Counter.builder().name("bloomj_prompt_tokens_total").help("Prompt tokens prefilled").register(registry);
        generatedTokens = Counter.builder().name("bloomj_generated_tokens_total").help("Tokens generated").register(registry);
        steps = Counter.builder().name("bloomj_steps_total").help("Batched decoding steps run").register(registry);
        finished = Counter.builder().name("bloomj_sequences_finished_total").help("Sequences ended, by finish reason (failed: an error)")
                .labelNames("reason").register(registry);
        firstToken = Histogram.builder().name("bloomj_time_to_first_token_seconds").help("From a request's arrival to its first token")
                .classicUpperBounds(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60).register(registry);
        perToken = Histogram.builder().name("bloomj_time_per_output_token_seconds").help("Between two tokens of one sequence")
                .classicUpperBounds(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5).register(registry);
        GaugeWithCallback.builder().name("bloomj_queue_depth").help("Requests waiting for a slot")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("bloomj_running_sequences").help("Sequences in the running batch")
                .callback(cb -> cb.call(running.getAsInt())).register(registry);
    }

    void request(String endpoint, int status) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
    }

    @Override
    public void firstToken(double seconds) {
        firstToken.observe(seconds);
        generatedTokens.inc();
    }

    @Override
    public void nextToken(double seconds) {
        perToken.observe(seconds);
        generatedTokens.inc();
    }

    @Override
    public void step(int rows, int prompt) {
        steps.inc();
        promptTokens.inc(prompt);
    }

    @Override
    public void finished(FinishReason reason) {
        finished.labelValues(reason == null ? "failed" : reason.name().toLowerCase(java.util.Locale.ROOT)).inc();
    }

    /** The registry's metrics in the text format (version 0.0.4). */
    String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.create().getContentType();
    }
}
