package io.bloomj.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.serve.OpenAiServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A bounded load test of {@code bloomj serve} on 127.0.0.1: the server runs in this process on the
 * given model; for each client count, that many clients send a fixed number of
 * {@code /v1/completions} requests each (random token-id prompts, greedy, a fixed answer length,
 * no eos stop), one after another; every request and the whole run have time limits, so it stops
 * by itself. Prints one Markdown row per client count: requests, generated tokens per second
 * (all clients), and p50 / p99 request latency and time per output token.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.bloomj.benchmarks.ServeLoad MODEL_DIR [clients=1,4,16] [requests=8]
 *      [prompt=32] [max_tokens=32] [threads=all] [parallel=16]
 * </pre>
 */
public final class ServeLoad {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServeLoad() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ServeLoad MODEL_DIR [clients=1,4,16] [requests=8] [prompt=32] [max_tokens=32] [threads=0] [parallel=16]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int[] clients = Arrays.stream((args.length > 1 ? args[1] : "1,4,16").split(",")).mapToInt(Integer::parseInt).toArray();
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int promptTokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int maxTokens = args.length > 4 ? Integer.parseInt(args[4]) : 32;
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        int parallel = args.length > 6 ? Integer.parseInt(args[6]) : 16;
        LoadOptions options = LoadOptions.defaults().withContextLength(promptTokens + maxTokens + 8);
        if (threads > 0) options = options.withThreads(threads);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (BloomModel model = Bloom.load(dir, options);
             OpenAiServer server = OpenAiServer.start(model, "load", new BatchOptions(parallel, 1024, 0, 256), "127.0.0.1", 0)) {
            String url = "http://127.0.0.1:" + server.port() + "/v1/completions";
            int vocab = model.config().vocabSize();
            System.out.printf(Locale.ROOT, "model %s, %s, parallel %d, prompt %d tokens, %d tokens per answer, %d requests per client%n%n",
                    dir.getFileName(), model.backendDescription(), parallel, promptTokens, maxTokens, requests);
            System.out.println("| clients | requests | generated t/s (all) | p50 latency s | p99 latency s | p50 ms/token | p99 ms/token | wall s |");
            System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            run(http, url, vocab, 1, 1, promptTokens, maxTokens, null);   // warm-up (JIT), not reported
            for (int c : clients) run(http, url, vocab, c, requests, promptTokens, maxTokens, System.out);
        }
    }

    private static void run(HttpClient http, String url, int vocab, int clients, int requests, int promptTokens, int maxTokens,
                            java.io.PrintStream out) throws Exception {
        List<double[]> samples = new ArrayList<>();   // {latency s, completion tokens}
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<double[]>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(client);
                    List<double[]> mine = new ArrayList<>();
                    for (int i = 0; i < requests; i++) {
                        StringBuilder prompt = new StringBuilder();
                        for (int t = 0; t < promptTokens; t++) prompt.append(t == 0 ? "" : ",").append(rnd.nextInt(vocab));
                        String body = "{\"prompt\": [" + prompt + "], \"max_tokens\": " + maxTokens + ", \"temperature\": 0}";
                        long s = System.nanoTime();
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(600))
                                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        double seconds = (System.nanoTime() - s) / 1e9;
                        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                        JsonNode usage = JSON.readTree(r.body()).get("usage");
                        mine.add(new double[] {seconds, usage.get("completion_tokens").asDouble()});
                    }
                    return mine;
                }));
            }
            for (Future<List<double[]>> f : futures) samples.addAll(f.get(1800, java.util.concurrent.TimeUnit.SECONDS));
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        if (out == null) return;
        double tokens = 0;
        double[] latency = new double[samples.size()], perToken = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            tokens += samples.get(i)[1];
            latency[i] = samples.get(i)[0];
            perToken[i] = samples.get(i)[0] / samples.get(i)[1] * 1e3;
        }
        out.printf(Locale.ROOT, "| %d | %d | %.2f | %.3f | %.3f | %.1f | %.1f | %.1f |%n", clients, samples.size(), tokens / wall,
                percentile(latency, 50), percentile(latency, 99), percentile(perToken, 50), percentile(perToken, 99), wall);
        out.flush();
    }

    private static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }
}
