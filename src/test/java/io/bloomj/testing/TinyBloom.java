package io.bloomj.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small random BLOOM checkpoints in the Hugging Face layout, for tests. Weights are scaled so that
 * activations stay near unit size and logits land around 1-10, where a wrong op shows.
 *
 * @param vocab    vocabulary size
 * @param hidden   hidden size
 * @param layers   number of blocks
 * @param heads    attention heads (use a non-power of two to exercise the extra ALiBi slopes)
 * @param dtype    "BF16", "F16" or "F32" for every tensor
 * @param postLn   apply_residual_connection_post_layernorm
 * @param tied     tie_word_embeddings (false writes lm_head.weight)
 * @param prefix   write names with "transformer." as BloomForCausalLM does
 * @param shards   1 for model.safetensors, more for an index with that many shards
 * @param seed     random seed
 */
public record TinyBloom(int vocab, int hidden, int layers, int heads, String dtype, boolean postLn, boolean tied,
                        boolean prefix, int shards, long seed) {

    /** 6 heads (not a power of two), bf16, tied, single file. */
    public static TinyBloom standard() {
        return new TinyBloom(96, 48, 2, 6, "BF16", false, true, true, 1, 7);
    }

    public TinyBloom withDtype(String d) { return new TinyBloom(vocab, hidden, layers, heads, d, postLn, tied, prefix, shards, seed); }
    public TinyBloom withHeads(int h, int hid) { return new TinyBloom(vocab, hid, layers, h, dtype, postLn, tied, prefix, shards, seed); }
    public TinyBloom withPostLn(boolean p) { return new TinyBloom(vocab, hidden, layers, heads, dtype, p, tied, prefix, shards, seed); }
    public TinyBloom withTied(boolean t) { return new TinyBloom(vocab, hidden, layers, heads, dtype, postLn, t, prefix, shards, seed); }
    public TinyBloom withPrefix(boolean p) { return new TinyBloom(vocab, hidden, layers, heads, dtype, postLn, tied, p, shards, seed); }
    public TinyBloom withShards(int s) { return new TinyBloom(vocab, hidden, layers, heads, dtype, postLn, tied, prefix, s, seed); }
    public TinyBloom withLayers(int l) { return new TinyBloom(vocab, hidden, l, heads, dtype, postLn, tied, prefix, shards, seed); }
    public TinyBloom withVocab(int v) { return new TinyBloom(v, hidden, layers, heads, dtype, postLn, tied, prefix, shards, seed); }

    /** The tensors by canonical name (no prefix), values rounded to the dtype. */
    public Map<String, TestTensor> tensors() {
        Random rnd = new Random(seed);
        Map<String, TestTensor> t = new LinkedHashMap<>();
        int h = hidden, f = 4 * hidden;
        t.put("word_embeddings.weight", matrix(rnd, vocab, h, 1.0));
        t.put("word_embeddings_layernorm.weight", around(rnd, h, 1.0, 0.2));
        t.put("word_embeddings_layernorm.bias", around(rnd, h, 0.0, 0.2));
        for (int i = 0; i < layers; i++) {
            String p = "h." + i + ".";
            t.put(p + "input_layernorm.weight", around(rnd, h, 1.0, 0.2));
            t.put(p + "input_layernorm.bias", around(rnd, h, 0.0, 0.2));
            // Queries and keys a little larger than 1/sqrt(h) so attention is not uniform.
            t.put(p + "self_attention.query_key_value.weight", matrix(rnd, 3 * h, h, 2.0 / Math.sqrt(h)));
            t.put(p + "self_attention.query_key_value.bias", around(rnd, 3 * h, 0.0, 0.2));
            t.put(p + "self_attention.dense.weight", matrix(rnd, h, h, 1.0 / Math.sqrt(h)));
            t.put(p + "self_attention.dense.bias", around(rnd, h, 0.0, 0.2));
            t.put(p + "post_attention_layernorm.weight", around(rnd, h, 1.0, 0.2));
            t.put(p + "post_attention_layernorm.bias", around(rnd, h, 0.0, 0.2));
            t.put(p + "mlp.dense_h_to_4h.weight", matrix(rnd, f, h, 1.0 / Math.sqrt(h)));
            t.put(p + "mlp.dense_h_to_4h.bias", around(rnd, f, 0.0, 0.2));
            t.put(p + "mlp.dense_4h_to_h.weight", matrix(rnd, h, f, 1.0 / Math.sqrt(f)));
            t.put(p + "mlp.dense_4h_to_h.bias", around(rnd, h, 0.0, 0.2));
        }
        t.put("ln_f.weight", around(rnd, h, 1.0, 0.2));
        t.put("ln_f.bias", around(rnd, h, 0.0, 0.2));
        if (!tied) t.put("lm_head.weight", matrix(rnd, vocab, h, 1.0));
        return t;
    }

    private TestTensor matrix(Random rnd, int rows, int cols, double std) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = SafetensorsWriter.round(dtype, rnd.nextGaussian() * std);
        return new TestTensor(dtype, new long[] {rows, cols}, v);
    }

    private TestTensor around(Random rnd, int n, double mean, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = SafetensorsWriter.round(dtype, mean + rnd.nextGaussian() * std);
        return new TestTensor(dtype, new long[] {n}, v);
    }

    public String configJson() {
        // bloom-560m style aliases (n_embed, num_attention_heads) plus fields real configs carry.
        return """
                {
                  "architectures": ["BloomForCausalLM"],
                  "model_type": "bloom",
                  "vocab_size": %d,
                  "n_embed": %d,
                  "n_layer": %d,
                  "num_attention_heads": %d,
                  "layer_norm_epsilon": 1e-05,
                  "apply_residual_connection_post_layernorm": %s,
                  "tie_word_embeddings": %s,
                  "attention_dropout": 0.0,
                  "hidden_dropout": 0.0,
                  "attention_softmax_in_fp32": true,
                  "masked_softmax_fusion": true,
                  "offset_alibi": 100,
                  "pretraining_tp": 4,
                  "slow_but_exact": false,
                  "skip_bias_add": true,
                  "n_inner": null,
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "pad_token_id": 3,
                  "unk_token_id": 0,
                  "torch_dtype": "bfloat16",
                  "transformers_version": "4.44.0",
                  "use_cache": true
                }
                """.formatted(vocab, hidden, layers, heads, postLn, tied);
    }

    /** Writes config.json and the weights into {@code dir} (created if needed); returns the tensors. */
    public Map<String, TestTensor> writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson());
        Map<String, TestTensor> tensors = tensors();
        List<Map<String, TestTensor>> parts = new ArrayList<>();
        for (int s = 0; s < shards; s++) parts.add(new LinkedHashMap<>());
        int i = 0;
        for (Map.Entry<String, TestTensor> e : tensors.entrySet()) {
            String name = prefix && !e.getKey().equals("lm_head.weight") ? "transformer." + e.getKey() : e.getKey();
            parts.get(i++ * shards / tensors.size()).put(name, e.getValue());
        }
        if (shards == 1) {
            SafetensorsWriter.write(dir.resolve("model.safetensors"), parts.getFirst());
        } else {
            StringBuilder index = new StringBuilder("{\"metadata\":{\"total_size\":0},\"weight_map\":{");
            boolean first = true;
            for (int s = 0; s < shards; s++) {
                String file = "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
                SafetensorsWriter.write(dir.resolve(file), parts.get(s));
                for (String name : parts.get(s).keySet()) {
                    index.append(first ? "" : ",").append('"').append(name).append("\":\"").append(file).append('"');
                    first = false;
                }
            }
            Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}").toString());
        }
        return tensors;
    }
}
