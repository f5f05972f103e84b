package io.bloomj.model;

import io.bloomj.tensor.DType;
import io.bloomj.tensor.Q8_0;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every tensor of a BLOOM model, checked against the config. Shapes are those of transformers'
 * {@code BloomForCausalLM} ({@code h} = hidden size, {@code V} = vocabulary):
 *
 * <pre>
 * word_embeddings            [V, h]      also the LM head when embeddings are tied
 * word_embeddings_layernorm  [h], [h]
 * h.{i}.input_layernorm              [h], [h]
 * h.{i}.self_attention.query_key_value [3h, h], [3h]   rows grouped per head: [n_head, 3 (q,k,v), head_dim]
 * h.{i}.self_attention.dense         [h, h], [h]
 * h.{i}.post_attention_layernorm     [h], [h]
 * h.{i}.mlp.dense_h_to_4h            [4h, h], [4h]
 * h.{i}.mlp.dense_4h_to_h            [h, 4h], [h]
 * ln_f                       [h], [h]
 * lm_head                    [V, h]      only when tie_word_embeddings is false
 * </pre>
 */
public record BloomWeights(
        Weight wordEmbeddings,
        Weight embeddingNormWeight, Weight embeddingNormBias,
        List<Layer> layers,
        Weight finalNormWeight, Weight finalNormBias,
        Weight lmHead) {

    /** One transformer block. */
    public record Layer(
            Weight inputNormWeight, Weight inputNormBias,
            Weight qkvWeight, Weight qkvBias,
            Weight denseWeight, Weight denseBias,
            Weight postAttentionNormWeight, Weight postAttentionNormBias,
            Weight upWeight, Weight upBias,
            Weight downWeight, Weight downBias) {}

    /** Looks up and checks every tensor; a missing or misshapen one gives a CheckpointException. */
    public static BloomWeights from(Checkpoint ckpt) {
        BloomConfig c = ckpt.config();
        long h = c.hiddenSize();
        long f = c.ffnSize();
        long v = c.vocabSize();
        Weight emb = ckpt.require("word_embeddings.weight", v, h);
        List<Layer> layers = new ArrayList<>();   // no capacity from the config: n_layer may be absurd, the tensors decide
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "h." + i + ".";
            layers.add(new Layer(
                    ckpt.require(p + "input_layernorm.weight", h), ckpt.require(p + "input_layernorm.bias", h),
                    ckpt.require(p + "self_attention.query_key_value.weight", 3 * h, h),
                    ckpt.require(p + "self_attention.query_key_value.bias", 3 * h),
                    ckpt.require(p + "self_attention.dense.weight", h, h), ckpt.require(p + "self_attention.dense.bias", h),
                    ckpt.require(p + "post_attention_layernorm.weight", h), ckpt.require(p + "post_attention_layernorm.bias", h),
                    ckpt.require(p + "mlp.dense_h_to_4h.weight", f, h), ckpt.require(p + "mlp.dense_h_to_4h.bias", f),
                    ckpt.require(p + "mlp.dense_4h_to_h.weight", h, f), ckpt.require(p + "mlp.dense_4h_to_h.bias", h)));
        }
        // Tied embeddings: lm_head.weight, when a checkpoint carries it anyway, is a copy and is ignored.
        Weight lmHead = c.tieWordEmbeddings() ? emb : ckpt.require("lm_head.weight", v, h);
        return new BloomWeights(emb,
                ckpt.require("word_embeddings_layernorm.weight", h), ckpt.require("word_embeddings_layernorm.bias", h),
                List.copyOf(layers),
                ckpt.require("ln_f.weight", h), ckpt.require("ln_f.bias", h),
                lmHead);
    }

    /**
     * The same model with every matrix in {@link DType#Q8_0} (the tied embedding / LM head quantized
     * once and shared), biases and LayerNorm parameters as they are. The int8 copies live in
     * {@code arena}; matrices already in Q8_0 are kept.
     */
    public BloomWeights quantized(Arena arena, int threads) {
        Weight emb = Q8_0.quantize(wordEmbeddings, arena, threads);
        List<Layer> q = new ArrayList<>(layers.size());
        for (Layer l : layers) {
            q.add(new Layer(l.inputNormWeight, l.inputNormBias,
                    Q8_0.quantize(l.qkvWeight, arena, threads), l.qkvBias,
                    Q8_0.quantize(l.denseWeight, arena, threads), l.denseBias,
                    l.postAttentionNormWeight, l.postAttentionNormBias,
                    Q8_0.quantize(l.upWeight, arena, threads), l.upBias,
                    Q8_0.quantize(l.downWeight, arena, threads), l.downBias));
        }
        Weight head = lmHead == wordEmbeddings ? emb : Q8_0.quantize(lmHead, arena, threads);
        return new BloomWeights(emb, embeddingNormWeight, embeddingNormBias, List.copyOf(q), finalNormWeight, finalNormBias, head);
    }

    /**
     * Every tensor by its canonical checkpoint name (no {@code transformer.} prefix), in checkpoint
     * order; {@code lm_head.weight} only when it is not the embedding.
     */
    public Map<String, Weight> named() {
        Map<String, Weight> out = new LinkedHashMap<>();
        out.put("word_embeddings.weight", wordEmbeddings);
        out.put("word_embeddings_layernorm.weight", embeddingNormWeight);
        out.put("word_embeddings_layernorm.bias", embeddingNormBias);
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            String p = "h." + i + ".";
            out.put(p + "input_layernorm.weight", l.inputNormWeight);
            out.put(p + "input_layernorm.bias", l.inputNormBias);
            out.put(p + "self_attention.query_key_value.weight", l.qkvWeight);
            out.put(p + "self_attention.query_key_value.bias", l.qkvBias);
            out.put(p + "self_attention.dense.weight", l.denseWeight);
            out.put(p + "self_attention.dense.bias", l.denseBias);
            out.put(p + "post_attention_layernorm.weight", l.postAttentionNormWeight);
            out.put(p + "post_attention_layernorm.bias", l.postAttentionNormBias);
            out.put(p + "mlp.dense_h_to_4h.weight", l.upWeight);
            out.put(p + "mlp.dense_h_to_4h.bias", l.upBias);
            out.put(p + "mlp.dense_4h_to_h.weight", l.downWeight);
            out.put(p + "mlp.dense_4h_to_h.bias", l.downBias);
        }
        out.put("ln_f.weight", finalNormWeight);
        out.put("ln_f.bias", finalNormBias);
        if (lmHead != wordEmbeddings) out.put("lm_head.weight", lmHead);
        return out;
    }

    /** The dtype of the matrices (Q8_0 after {@link #quantized}). */
    public DType matrixDtype() {
        return lmHead.dtype();
    }

    /**
     * {@link #bytesPerToken()} if the matrices were held in {@code matrices} (bf16 or Q8_0 with its
     * scales); biases and LayerNorm parameters as they are. Computed from the shapes alone.
     */
    public long bytesPerToken(DType matrices) {
        long sum = bytesPerToken();
        for (Weight w : readPerToken()) {
            long numel = w.numel();
            long as = matrices == DType.Q8_0 ? numel + Q8_0.scaleBytes(w.shape()[0], w.shape()[1]) : numel * matrices.bytes();
            sum += as - w.byteSize();
        }
        return sum;
    }

    /** The matrices a decode step reads (every layer's four, the LM head; not the embedding table, of which one row is read). */
    private List<Weight> readPerToken() {
        List<Weight> out = new ArrayList<>();
        for (Layer l : layers) out.addAll(List.of(l.qkvWeight, l.denseWeight, l.upWeight, l.downWeight));
        out.add(lmHead);
        return out;
    }

    /** Bytes read from weights per decoded token: every matrix once, plus the LM head. */
    public long bytesPerToken() {
        long sum = embeddingNormWeight.byteSize() + embeddingNormBias.byteSize()
                + finalNormWeight.byteSize() + finalNormBias.byteSize() + lmHead.byteSize();
        for (Layer l : layers) {
            for (Weight w : List.of(l.inputNormWeight, l.inputNormBias, l.qkvWeight, l.qkvBias, l.denseWeight,
                    l.denseBias, l.postAttentionNormWeight, l.postAttentionNormBias, l.upWeight, l.upBias,
                    l.downWeight, l.downBias)) {
                sum += w.byteSize();
            }
        }
        return sum;
    }
}
