package io.bloomj.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.bloomj.api.BatchOptions;
import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.testing.TestTokenizer;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bloomj serve} on loopback, driven by LangChain4j's OpenAI client and by plain HTTP. */
class OpenAiServerTest {
    @TempDir
    static Path dir;

    private static BloomModel model;
    private static OpenAiServer server;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws IOException {
        TinyBloom spec = TinyBloom.standard().withVocab(TestTokenizer.VOCAB + 12);
        spec.writeTo(dir);
        TestTokenizer.write(dir);
        model = Bloom.load(dir, LoadOptions.defaults().withThreads(2).withContextLength(256));
        server = OpenAiServer.start(model, "tiny-bloom", new BatchOptions(16, 32, 0, 64), "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (model != null) model.close();
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String chatBody(String question, int maxTokens, boolean stream) {
        return "{\"model\":\"tiny-bloom\",\"temperature\":0,\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":" + JSON.valueToTree(question) + "}]}";
    }

    /** The content of a non-streamed chat answer. */
    private static String answer(String question, int maxTokens) throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", chatBody(question, maxTokens, false));
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).at("/choices/0/message/content").asText();
    }

    /** Reads a streamed chat answer: the concatenated deltas and the finish reason, checking the chunk format. */
    static String[] readStream(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder text = new StringBuilder();
        String finish = null;
        boolean done = false;
        for (String line; (line = reader.readLine()) != null; ) {
            if (line.isEmpty()) continue;
            assertTrue(line.startsWith("data: "), line);
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                done = true;
                break;
            }
            JsonNode chunk = JSON.readTree(data);
            assertEquals("chat.completion.chunk", chunk.get("object").asText());
            JsonNode choice = chunk.at("/choices/0");
            if (choice.isMissingNode()) continue;   // the usage chunk
            text.append(choice.at("/delta/content").asText(""));
            if (!choice.get("finish_reason").isNull()) finish = choice.get("finish_reason").asText();
        }
        assertTrue(done, "the stream ends with data: [DONE]");
        return new String[] {text.toString(), finish};
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        JsonNode models = JSON.readTree(get("/v1/models").body());
        assertEquals("tiny-bloom", models.at("/data/0/id").asText());
        assertEquals(200, get("/health").statusCode());
        answer("Bonjour", 3);
        HttpResponse<String> m = get("/metrics");
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), m.headers().toString());
        for (String name : new String[] {"bloomj_requests_total{endpoint=\"chat\",status=\"200\"}", "bloomj_queue_depth",
                "bloomj_running_sequences", "bloomj_prompt_tokens_total", "bloomj_generated_tokens_total",
                "bloomj_time_to_first_token_seconds_bucket", "bloomj_time_per_output_token_seconds_bucket"}) {
            assertTrue(m.body().contains(name), name + " in\n" + m.body());
        }
    }

    @Test
    void langChain4jPlainAndStreamedChatGiveTheSameGreedyAnswer() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(url("/v1")).apiKey("unused").modelName("tiny-bloom")
                .temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        String plain = chat.chat("Quelle est la capitale de la France ?");
        assertFalse(plain.isEmpty());
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(url("/v1")).apiKey("unused").modelName("tiny-bloom")
                .temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder parts = new StringBuilder();
        streaming.chat("Quelle est la capitale de la France ?", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                parts.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(plain, parts.toString(), "streamed pieces make the plain answer");
        assertEquals(plain, r.aiMessage().text());
        assertNotNull(r.tokenUsage());
    }

    @Test
    void sixteenConcurrentStreamsEachGetTheirAloneAnswer() throws Exception {
        List<String> questions = new ArrayList<>();
        List<String> alone = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String q = "question " + i + " " + "abc".repeat(i % 5);
            questions.add(q);
            alone.add(answer(q, 10 + i % 7));
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String[]>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String body = chatBody(questions.get(i), 10 + i % 7, true);
                futures.add(pool.submit(() -> {
                    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url("/v1/chat/completions")))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, r.statusCode());
                    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
                    try (InputStream in = r.body()) {
                        return readStream(in);
                    }
                }));
            }
            for (int i = 0; i < 16; i++) {
                String[] got = futures.get(i).get(120, TimeUnit.SECONDS);
                assertEquals(alone.get(i), got[0], "request " + i + " under load equals it alone");
                assertNotNull(got[1]);
            }
        }
    }

    @Test
    void malformedRequestsGet400AndTheServerStaysUp() throws Exception {
        String[][] cases = {
                {"{not json", null},
                {"[]", null},
                {"{}", "messages"},
                {"{\"messages\": \"hi\"}", "messages"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "messages[0].content"},
                {"{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", "messages[0].role"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "temperature"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1.5}", "max_tokens"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 100000}", "max_tokens"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 3}", "n"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 7}", "stop"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}", "stream"},
                {"{\"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(400) + "\"}]}", "messages"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post("/v1/chat/completions", c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertNotNull(error, r.body());
            assertFalse(error.get("message").asText().isEmpty());
            assertEquals("invalid_request_error", error.get("type").asText());
            if (c[1] != null) assertEquals(c[1], error.get("param").asText(), r.body());
        }
        assertEquals(400, post("/v1/completions", "{\"prompt\": [1, -4]}").statusCode());
        assertEquals(404, post("/v1/nothing", "{}").statusCode());
        assertEquals(200, get("/health").statusCode());
        assertEquals(200, post("/v1/chat/completions", chatBody("still there?", 2, false)).statusCode(), "the server still answers");
    }

    @Test
    void completionsEndpointWithLogprobs() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": \"Le ciel est\", \"max_tokens\": 4, \"temperature\": 0, \"logprobs\": 2}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("text_completion", body.get("object").asText());
        assertEquals(4, body.at("/usage/completion_tokens").asInt());
        assertEquals(4, body.at("/choices/0/logprobs/token_logprobs").size());
        JsonNode chat = JSON.readTree(post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Salut\"}],\"max_tokens\":3,\"logprobs\":true,\"top_logprobs\":2}").body());
        JsonNode content = chat.at("/choices/0/logprobs/content");
        assertEquals(3, content.size(), chat.toString());
        assertEquals(2, content.get(0).get("top_logprobs").size());
        assertTrue(content.get(0).get("logprob").asDouble() <= 0);
    }

    @Test
    void aClientThatDisconnectsFreesItsSlotAndAFullQueueGets429() throws Exception {
        // A second server on the same model with one slot and a queue of one.
        try (OpenAiServer small = OpenAiServer.start(model, "tiny-bloom", new BatchOptions(1, 1, 0, 64), "127.0.0.1", 0)) {
            String endless = "{\"max_tokens\": 240, \"temperature\": 1, \"seed\": 1, \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"go on\"}]}";
            Socket socket = new Socket("127.0.0.1", small.port());
            OutputStream out = socket.getOutputStream();
            byte[] body = endless.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.flush();
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            for (String line; events < 3 && (line = reader.readLine()) != null; ) if (line.startsWith("data: ")) events++;
            assertEquals(3, events, "the stream started");
            // The slot is taken: one request may wait, the next is refused.
            CompletableFuture<HttpResponse<String>> waiting = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port()
                    + "/v1/chat/completions")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                    "{\"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"next\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            String metricsUrl = "http://127.0.0.1:" + small.port() + "/metrics";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl)).build(), HttpResponse.BodyHandlers.ofString()).body()
                    .contains("bloomj_queue_depth 1")) {
                assertTrue(System.nanoTime() < deadline, "the second request is queued");
                Thread.sleep(5);
            }
            HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"max_tokens\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"third\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(429, refused.statusCode(), "a full queue answers 429: " + refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
            assertEquals("rate_limit_error", JSON.readTree(refused.body()).at("/error/type").asText());
            socket.close();   // the streaming client goes away mid-answer
            HttpResponse<String> next = waiting.get(30, TimeUnit.SECONDS);
            assertEquals(200, next.statusCode(), next.body());
            assertEquals(2, JSON.readTree(next.body()).at("/usage/completion_tokens").asInt(), "the freed slot served the waiting request");
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(metricsUrl)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("bloomj_sequences_finished_total{reason=\"cancelled\"} 1.0"), "the disconnected stream was cancelled:\n" + metrics);
        }
    }
}
