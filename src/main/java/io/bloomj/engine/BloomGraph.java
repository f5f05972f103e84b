package io.bloomj.engine;

import io.bloomj.InvalidInputException;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.BloomWeights;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * BLOOM written once, as ops over named buffers, following transformers' {@code BloomForCausalLM}:
 *
 * <pre>
 * hidden = LN_emb(embed(tokens))
 * for each layer:
 *   a   = LN_in(hidden)
 *   q,k,v = split_per_head(a . Wqkv + b)          -> k, v appended to this layer's cache
 *   attn_output = dense(alibi_attention(q, K, V)) + (post-LN residual ? a : hidden)
 *   m   = LN_post(attn_output)
 *   hidden = W_down . gelu(W_up . m) + (post-LN residual ? m : attn_output)
 * logits = LN_f(hidden[last rows]) . word_embeddings^T   (tied head)
 * next_token = argmax(logits)                             (greedy decoding reads only this)
 * sampled_token = sample(logits, seen)                    (sampling on the device; seen marks the sequence's tokens)
 * </pre>
 *
 * Scratch buffers are shared by all layers (a step runs layers in order); only the KV caches are
 * per layer.
 */
public final class BloomGraph {
    private BloomGraph() {}

    /**
     * @param maxRows      largest number of tokens per step (prefill chunk)
     * @param contextLength KV cache length in tokens
     * @param maxLogitRows largest number of rows a step may ask logits for
     */
    public static Graph build(BloomConfig c, BloomWeights w, int maxRows, int contextLength, int maxLogitRows) {
        return build(c, w, maxRows, contextLength, 1, 1, maxLogitRows);
    }

    /**
     * A graph for batched decoding: {@code slots} sequences share a KV pool of {@code blocks}
     * blocks of {@code blockSize} positions (each sequence's blocks named by the step's table),
     * and each slot has its own row of seen tokens.
     */
    public static Graph buildBatched(BloomConfig c, BloomWeights w, int maxRows, int blockSize, int blocks, int slots) {
        if (slots < 1 || blocks < 1 || blockSize < 1) throw new InvalidInputException("a batch needs at least one slot and one KV block");
        if ((long) blocks * blockSize * c.hiddenSize() > Integer.MAX_VALUE - 16) {
            throw new InvalidInputException("a KV pool of " + (long) blocks * blockSize + " tokens is too large: a layer's cache would hold more than 2^31 floats");
        }
        return build(c, w, maxRows, blockSize, blocks, slots, slots);
    }

    private static Graph build(BloomConfig c, BloomWeights w, int maxRows, int contextLength, int blocks, int slots, int maxLogitRows) {
        int h = c.hiddenSize();
        int heads = c.numHeads();
        int hd = c.headDim();
        float eps = (float) c.layerNormEpsilon();
        boolean postLnResidual = c.applyResidualConnectionPostLayernorm();
        if (contextLength < 1) throw new InvalidInputException("context length must be at least 1, got " + contextLength);
        if ((long) blocks * heads * contextLength * hd > Integer.MAX_VALUE - 16) {
            // each layer's value cache is one buffer of heads x context x head_dim floats
            throw new InvalidInputException("context length " + contextLength + " is too large: a layer's KV cache would hold "
                    + (long) heads * contextLength * hd + " floats, more than one buffer can (2^31); use a shorter --context-length");
        }

        Buffer embedded = new Buffer("embedded", maxRows, h);
        Buffer hidden = new Buffer("hidden", maxRows, h);
        Buffer attnNorm = new Buffer("attn_norm", maxRows, h);
        Buffer qkv = new Buffer("qkv", maxRows, 3 * h);
        Buffer q = new Buffer("q", maxRows, h);
        Buffer context = new Buffer("attn_context", maxRows, h);
        Buffer attnProj = new Buffer("attn_proj", maxRows, h);
        Buffer attnOutput = new Buffer("attn_output", maxRows, h);
        Buffer ffnNorm = new Buffer("ffn_norm", maxRows, h);
        Buffer ffnUp = new Buffer("ffn_up", maxRows, c.ffnSize());
        Buffer ffnOut = new Buffer("ffn_out", maxRows, h);
        Buffer finalNorm = new Buffer("final_norm", maxRows, h);
        Buffer logits = new Buffer("logits", maxLogitRows, c.vocabSize());
        Buffer nextToken = new Buffer("next_token", maxLogitRows, 1);
        Buffer sampled = new Buffer("sampled_token", maxLogitRows, 1);
        Buffer seen = new Buffer("seen_tokens", slots, c.vocabSize());

        float[] slopes = Alibi.slopes(heads);
        float scale = (float) (1.0 / Math.sqrt(hd));
        List<Op> ops = new ArrayList<>();
        Set<Buffer> state = new LinkedHashSet<>();

        ops.add(new Op.Embedding(w.wordEmbeddings(), embedded));
        ops.add(new Op.LayerNorm(embedded, w.embeddingNormWeight(), w.embeddingNormBias(), eps, hidden));
        for (int i = 0; i < c.numLayers(); i++) {
            BloomWeights.Layer l = w.layers().get(i);
            Buffer kCache = new Buffer("l" + i + ".k_cache", blocks * heads * hd, contextLength);   // keys transposed per block
            Buffer vCache = new Buffer("l" + i + ".v_cache", blocks * heads * contextLength, hd);
            state.add(kCache);
            state.add(vCache);
            ops.add(new Op.LayerNorm(hidden, l.inputNormWeight(), l.inputNormBias(), eps, attnNorm));
            ops.add(new Op.Matmul(attnNorm, l.qkvWeight(), l.qkvBias(), qkv));
            ops.add(new Op.KvStore(qkv, heads, hd, q, kCache, vCache));
            ops.add(new Op.AlibiAttention(q, kCache, vCache, heads, hd, slopes, scale, context));
            ops.add(new Op.Matmul(context, l.denseWeight(), l.denseBias(), attnProj));
            ops.add(new Op.Add(attnProj, postLnResidual ? attnNorm : hidden, attnOutput));
            ops.add(new Op.LayerNorm(attnOutput, l.postAttentionNormWeight(), l.postAttentionNormBias(), eps, ffnNorm));
            ops.add(new Op.Matmul(ffnNorm, l.upWeight(), l.upBias(), ffnUp));
            ops.add(new Op.Gelu(ffnUp, ffnUp));
            ops.add(new Op.Matmul(ffnUp, l.downWeight(), l.downBias(), ffnOut));
            ops.add(new Op.Add(ffnOut, postLnResidual ? ffnNorm : attnOutput, hidden));
        }
        ops.add(new Op.LayerNorm(hidden, w.finalNormWeight(), w.finalNormBias(), eps, finalNorm));
        ops.add(new Op.LmHead(finalNorm, w.lmHead(), logits));
        ops.add(new Op.Argmax(logits, nextToken));
        ops.add(new Op.Sample(logits, sampled, seen));
        state.add(seen);
        return new Graph(ops, maxRows, logits, nextToken, state);
    }
}
