package io.bloomj.serve;

import com.fasterxml.jackson.databind.JsonNode;
import io.bloomj.api.GenerationConfig;
import io.bloomj.chat.ChatFormat;
import io.bloomj.tokenizer.BloomTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code /v1/chat/completions} or {@code /v1/completions} request, checked and turned into
 * prompt tokens and a {@link GenerationConfig}. Known fields of the wrong type or out of range are
 * refused naming the field; fields bloomj does not know are ignored, as OpenAI's own API does with
 * what a client library adds.
 *
 * @param prompt      the prompt's token ids (chat: rendered in the model's chat format)
 * @param config      sampling and limits (defaults from the model's generation_config.json)
 * @param stream      server-sent events instead of one JSON answer
 * @param usageChunk  {@code stream_options.include_usage}: a last chunk with the token counts
 * @param logprobs    0, or how many alternatives each token lists (OpenAI's {@code top_logprobs}, at least 1 when {@code logprobs} is true)
 * @param topLogprobs the alternatives asked for ({@code top_logprobs}), which may be 0 with {@code logprobs: true}
 */
record CompletionRequest(int[] prompt, GenerationConfig config, boolean stream, boolean usageChunk, int logprobs, int topLogprobs,
                         boolean chat) {

    /**
     * @param maxTokensLimit most tokens a sequence may hold (the context): a prompt longer than it, or
     *                       {@code max_tokens} beyond what is left, is refused
     */
    static CompletionRequest chat(JsonNode body, BloomTokenizer tokenizer, ChatFormat format, GenerationConfig defaults,
                                  int maxTokensLimit) {
        requireObject(body);
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) throw ApiException.invalid("messages", "'messages' is required");
        if (!messages.isArray() || messages.isEmpty()) throw ApiException.invalid("messages", "'messages' must be a non-empty array");
        StringBuilder system = new StringBuilder();
        List<ChatFormat.Exchange> history = new ArrayList<>();
        StringBuilder user = null;
        String pendingUser = null;
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) throw ApiException.invalid(where, where + " must be an object");
            String role = text(m, "role", where + ".role", true);
            String content = content(m.get("content"), where + ".content");
            switch (role) {
                case "system", "developer" -> {
                    if (!system.isEmpty()) system.append("\n");
                    system.append(content);
                }
                case "user" -> {
                    if (user == null) user = new StringBuilder(content);
                    else user.append("\n").append(content);
                }
                case "assistant" -> {
                    if (user == null) throw ApiException.invalid(where + ".role", where + ": an assistant message must follow a user message");
                    pendingUser = user.toString();
                    history.add(new ChatFormat.Exchange(tokenizer.encode(pendingUser), tokenizer.encode(content)));
                    user = null;
                }
                default -> throw ApiException.invalid(where + ".role", where + ".role must be system, developer, user or assistant, got '" + role + "'");
            }
        }
        if (user == null) throw ApiException.invalid("messages", "the last message must be from the user");
        int[] preamble = system.isEmpty() ? null : tokenizer.encode(system.toString());
        int[] prompt = format.render(preamble, history, tokenizer.encode(user.toString()));
        return finish(body, prompt, defaults, maxTokensLimit, tokenizer, true);
    }

    static CompletionRequest completion(JsonNode body, BloomTokenizer tokenizer, GenerationConfig defaults, int maxTokensLimit, int vocab) {
        requireObject(body);
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) throw ApiException.invalid("prompt", "'prompt' is required");
        int[] prompt;
        if (tokenizer == null && !(p.isArray() && !p.isEmpty() && allInts(p))) {
            throw ApiException.invalid("prompt", "this model has no tokenizer.json: give the prompt as token ids");
        }
        if (p.isTextual()) {
            prompt = tokenizer.encode(p.asText());
        } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            prompt = tokenizer.encode(p.get(0).asText());
        } else if (p.isArray() && !p.isEmpty() && allInts(p)) {
            prompt = new int[p.size()];
            for (int i = 0; i < prompt.length; i++) {
                long id = p.get(i).asLong();
                if (id < 0 || id >= vocab) throw ApiException.invalid("prompt", "token id " + id + " is outside the vocabulary [0, " + vocab + ")");
                prompt[i] = (int) id;
            }
        } else {
            throw ApiException.invalid("prompt", "'prompt' must be a string, an array of one string or an array of token ids");
        }
        if (prompt.length == 0) throw ApiException.invalid("prompt", "the prompt is empty");
        return finish(body, prompt, defaults, maxTokensLimit, tokenizer, false);
    }

    private static CompletionRequest finish(JsonNode body, int[] prompt, GenerationConfig defaults, int limit, BloomTokenizer tokenizer,
                                            boolean chat) {
        if (prompt.length > limit) {
            throw new ApiException(400, "invalid_request_error", "messages", "context_length_exceeded",
                    "the prompt has " + prompt.length + " tokens, more than the context of " + limit + " tokens");
        }
        int n = integer(body, "n", 1, Integer.MAX_VALUE, 1);
        if (n != 1) throw ApiException.invalid("n", "only n = 1 is supported, got " + n);
        String maxName = body.has("max_completion_tokens") && !body.get("max_completion_tokens").isNull() ? "max_completion_tokens" : "max_tokens";
        int room = limit - prompt.length;
        int maxTokens = integer(body, maxName, 1, Integer.MAX_VALUE, -1);
        if (maxTokens > room + 1) {
            // The prompt and every generated token but the last must fit the cache.
            throw new ApiException(400, "invalid_request_error", maxName, "context_length_exceeded", "'" + maxName + "' is " + maxTokens
                    + " but the prompt (" + prompt.length + " tokens) leaves room for " + (room + 1) + " in the context of " + limit + " tokens");
        }
        if (maxTokens < 0) maxTokens = room + 1;
        GenerationConfig.Builder b = defaults.toBuilder().maxNewTokens(maxTokens).logprobs(0);
        double temperature = number(body, "temperature", 0, 2, Double.NaN);
        if (!Double.isNaN(temperature)) b.temperature((float) temperature);
        double topP = number(body, "top_p", 0, 1, Double.NaN);
        if (!Double.isNaN(topP)) {
            if (topP == 0) throw ApiException.invalid("top_p", "'top_p' must be in (0, 1]");
            b.topP((float) topP);
        }
        if (body.has("seed") && !body.get("seed").isNull()) {
            if (!body.get("seed").isIntegralNumber()) throw ApiException.invalid("seed", "'seed' must be an integer");
            b.seed(body.get("seed").asLong());
        }
        for (String unsupported : new String[] {"frequency_penalty", "presence_penalty"}) {
            double v = number(body, unsupported, -2, 2, 0);
            if (v != 0) throw ApiException.invalid(unsupported, "'" + unsupported + "' is not supported (only 0)");
        }
        List<String> stops = stops(body.get("stop"));
        if (!stops.isEmpty()) b.stopStrings(stops.toArray(String[]::new));
        int logprobs;
        int top;
        if (chat) {
            boolean want = bool(body, "logprobs", false);
            top = integer(body, "top_logprobs", 0, 20, 0);
            if (top > 0 && !want) throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            logprobs = want ? Math.max(1, top) : 0;
        } else {
            top = integer(body, "logprobs", 0, 5, 0);   // legacy completions: logprobs is the number of alternatives
            logprobs = body.has("logprobs") && !body.get("logprobs").isNull() ? Math.max(1, top) : 0;
        }
        b.logprobs(logprobs);
        boolean stream = bool(body, "stream", false);
        boolean usage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiException.invalid("stream_options", "'stream_options' must be an object");
            usage = bool(so, "include_usage", false);
        }
        GenerationConfig config;
        try {
            config = b.build();
        } catch (RuntimeException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        return new CompletionRequest(prompt, config, stream, usage, logprobs, top, chat);
    }

    private static void requireObject(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object");
    }

    private static boolean allInts(JsonNode array) {
        for (JsonNode e : array) if (!e.isIntegralNumber()) return false;
        return true;
    }

    private static String text(JsonNode o, String name, String param, boolean required) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            if (required) throw ApiException.invalid(param, "'" + param + "' is required");
            return null;
        }
        if (!v.isTextual()) throw ApiException.invalid(param, "'" + param + "' must be a string");
        return v.asText();
    }

    /** A message's content: a string, or an array of text parts. */
    private static String content(JsonNode c, String param) {
        if (c == null || c.isNull()) throw ApiException.invalid(param, "'" + param + "' is required");
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                String where = param + "[" + i + "]";
                if (!part.isObject()) throw ApiException.invalid(where, "'" + where + "' must be an object");
                String type = text(part, "type", where + ".type", true);
                if (!type.equals("text")) throw ApiException.invalid(where + ".type", "only text content is supported, got '" + type + "'");
                sb.append(text(part, "text", where + ".text", true));
            }
            return sb.toString();
        }
        throw ApiException.invalid(param, "'" + param + "' must be a string or an array of text parts");
    }

    private static int integer(JsonNode o, String name, int min, int max, int absent) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiException.invalid(name, "'" + name + "' must be an integer");
        int i = v.asInt();
        if (i < min || i > max) {
            throw ApiException.invalid(name, "'" + name + "' must be " + (max == Integer.MAX_VALUE ? ">= " + min : "in [" + min + ", " + max + "]") + ", got " + i);
        }
        return i;
    }

    private static double number(JsonNode o, String name, double min, double max, double absent) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isNumber()) throw ApiException.invalid(name, "'" + name + "' must be a number");
        double d = v.asDouble();
        if (!(d >= min && d <= max)) throw ApiException.invalid(name, "'" + name + "' must be in [" + min + ", " + max + "], got " + d);
        return d;
    }

    private static boolean bool(JsonNode o, String name, boolean absent) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return absent;
        if (!v.isBoolean()) throw ApiException.invalid(name, "'" + name + "' must be true or false");
        return v.asBoolean();
    }

    private static List<String> stops(JsonNode v) {
        if (v == null || v.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (v.isTextual()) out.add(v.asText());
        else if (v.isArray() && v.size() <= 4) {
            for (JsonNode s : v) {
                if (!s.isTextual()) throw ApiException.invalid("stop", "'stop' must be a string or an array of up to 4 strings");
                out.add(s.asText());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of up to 4 strings");
        }
        for (String s : out) if (s.isEmpty()) throw ApiException.invalid("stop", "stop strings must not be empty");
        return out;
    }
}
