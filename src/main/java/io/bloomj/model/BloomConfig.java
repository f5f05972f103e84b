package io.bloomj.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bloomj.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The hyper-parameters of a BLOOM model, read from a Hugging Face {@code config.json}.
 *
 * <p>Real BLOOM configs spell the same field several ways (bloom-560m writes {@code n_embed} and
 * {@code num_attention_heads}, bloomz-3b writes {@code hidden_size} and {@code n_head}); every
 * alias transformers' {@code BloomConfig} accepts is accepted here, and fields bloomj has no use for
 * ({@code pretraining_tp}, {@code slow_but_exact}, dropout rates, ...) are ignored. The MLP width is
 * always {@code 4 * hidden}, as in transformers' {@code BloomMLP}, whatever {@code n_inner} says.
 */
public record BloomConfig(
        int vocabSize,
        int hiddenSize,
        int numLayers,
        int numHeads,
        double layerNormEpsilon,
        boolean applyResidualConnectionPostLayernorm,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId,
        int padTokenId,
        int unkTokenId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public BloomConfig {
        if (vocabSize <= 0 || hiddenSize <= 0 || numLayers <= 0 || numHeads <= 0) {
            throw new IllegalArgumentException("vocab_size, hidden_size, n_layer and n_head must be positive");
        }
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden size " + hiddenSize + " is not divisible by the "
                    + numHeads + " attention heads");
        }
        // The forward pass divides by sqrt(var + eps): a negative, NaN or infinite eps gives NaN logits.
        if (!(layerNormEpsilon >= 0) || Double.isInfinite(layerNormEpsilon)) {
            throw new IllegalArgumentException("layer_norm_epsilon must be a finite number >= 0, found " + layerNormEpsilon);
        }
        for (int id : new int[] {bosTokenId, eosTokenId, padTokenId, unkTokenId}) {
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("special token ids (bos " + bosTokenId + ", eos " + eosTokenId + ", pad " + padTokenId
                        + ", unk " + unkTokenId + ") must lie in the vocabulary [0, " + vocabSize + ")");
            }
        }
    }

    /** Width of one attention head. */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Width of the MLP's inner layer (dense_h_to_4h output). */
    public int ffnSize() {
        return 4 * hiddenSize;
    }

    /** A config with BLOOM's defaults for everything but the shape. */
    public static BloomConfig of(int vocab, int hidden, int layers, int heads) {
        return new BloomConfig(vocab, hidden, layers, heads, 1e-5, false, true, 1, 2, 3, 0);
    }

    /** Number of parameters (the tied LM head counted once). */
    public long parameterCount() {
        long h = hiddenSize;
        long perLayer = 2 * h                       // input_layernorm
                + 3 * h * h + 3 * h                 // query_key_value
                + h * h + h                         // dense
                + 2 * h                             // post_attention_layernorm
                + 4 * h * h + 4 * h                 // dense_h_to_4h
                + 4 * h * h + h;                    // dense_4h_to_h
        long total = (long) vocabSize * h + 2 * h + numLayers * perLayer + 2 * h;
        if (!tieWordEmbeddings) total += (long) vocabSize * h;
        return total;
    }

    /** Reads {@code dir/config.json}. */
    public static BloomConfig read(Path configFile) {
        String text;
        try {
            text = Files.readString(configFile);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(configFile, "config.json not found: is this a Hugging Face model folder?");
        } catch (IOException e) {
            throw new CheckpointException(configFile, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        return parse(configFile, text);
    }

    /** Parses the text of a config.json; {@code source} names it in errors. */
    public static BloomConfig parse(Path source, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(source, "malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(source, "expected a JSON object");
        }
        String modelType = root.path("model_type").asText("");
        if (!modelType.equals("bloom")) {
            throw new CheckpointException(source, "model_type is '" + modelType
                    + "'; bloomj runs BLOOM models only (model_type \"bloom\")");
        }
        int vocab = requiredInt(source, root, "vocab_size");
        int hidden = requiredInt(source, root, "hidden_size", "n_embed");
        int layers = requiredInt(source, root, "n_layer", "num_hidden_layers");
        int heads = requiredInt(source, root, "n_head", "num_attention_heads");
        if (hidden % heads != 0) {
            throw new CheckpointException(source, "hidden size " + hidden
                    + " is not divisible by the number of attention heads " + heads);
        }
        JsonNode epsNode = root.path("layer_norm_epsilon");
        if (!epsNode.isMissingNode() && !epsNode.isNull() && !epsNode.isNumber()) {
            throw new CheckpointException(source, "layer_norm_epsilon must be a number, found " + epsNode);
        }
        double eps = epsNode.asDouble(1e-5);
        boolean post = root.path("apply_residual_connection_post_layernorm").asBoolean(false);
        boolean tied = root.path("tie_word_embeddings").asBoolean(true);
        try {
            return new BloomConfig(vocab, hidden, layers, heads, eps, post, tied,
                    tokenId(root, "bos_token_id", 1), tokenId(root, "eos_token_id", 2),
                    tokenId(root, "pad_token_id", 3), tokenId(root, "unk_token_id", 0));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source, e.getMessage());
        }
    }

    private static int requiredInt(Path source, JsonNode root, String... aliases) {
        for (String name : aliases) {
            JsonNode n = root.get(name);
            if (n != null && !n.isNull()) {
                if (!n.canConvertToInt() || n.asInt() <= 0) {
                    throw new CheckpointException(source, name + " must be a positive integer, found " + n);
                }
                return n.asInt();
            }
        }
        throw new CheckpointException(source, "missing field " + String.join(" / ", aliases));
    }

    /** Token ids may be a number, null, or (eos in generation configs) a list: take the first. */
    private static int tokenId(JsonNode root, String name, int fallback) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return fallback;
        if (n.isArray()) n = n.isEmpty() ? null : n.get(0);
        if (n == null) return fallback;
        // ids beyond an int would wrap: out of range for any vocabulary, reported by the constructor
        return n.canConvertToInt() ? n.asInt() : -1;
    }

    /** The config as a Hugging Face config.json (what {@code random-model} writes). */
    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add("BloomForCausalLM");
        o.put("model_type", "bloom");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("n_layer", numLayers);
        o.put("n_head", numHeads);
        o.put("layer_norm_epsilon", layerNormEpsilon);
        o.put("apply_residual_connection_post_layernorm", applyResidualConnectionPostLayernorm);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("bos_token_id", bosTokenId);
        o.put("eos_token_id", eosTokenId);
        o.put("pad_token_id", padTokenId);
        o.put("unk_token_id", unkTokenId);
        o.put("use_cache", true);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
