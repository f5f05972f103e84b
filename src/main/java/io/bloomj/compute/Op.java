package io.bloomj.compute;

import io.bloomj.tensor.Weight;
import java.util.List;

/**
 * The op vocabulary: everything a backend must know how to run. An op is data; building a graph of
 * ops computes nothing. Every op works on the {@link Step#rows() rows} of the current step unless
 * it says otherwise. Weights are matrices {@code [out, in]} as in {@code torch.nn.Linear}.
 */
public sealed interface Op {
    /** Buffers this op reads. */
    List<Buffer> inputs();

    /** Buffers this op writes. */
    List<Buffer> outputs();

    /** Short kernel-family name, shared by all backends, profiles and kernel files. */
    String kind();

    /** {@code out[r] = table[tokens[r]]}, widened to fp32. */
    record Embedding(Weight table, Buffer out) implements Op {
        public List<Buffer> inputs() { return List.of(); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "embedding"; }
    }

    /** {@code out[r] = (in[r] - mean) / sqrt(var + eps) * gamma + beta}, biased variance, per row. */
    record LayerNorm(Buffer in, Weight gamma, Weight beta, float eps, Buffer out) implements Op {
        public List<Buffer> inputs() { return List.of(in); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "layer_norm"; }
    }

    /** {@code out[r] = weight . in[r] + bias} ({@code bias} may be null): GEMV for one row, GEMM for many. */
    record Matmul(Buffer in, Weight weight, Weight bias, Buffer out) implements Op {
        public List<Buffer> inputs() { return List.of(in); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "matmul"; }
    }

    /** {@code out = x * 0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x^2)))}, elementwise (BLOOM's tanh GELU). */
    record Gelu(Buffer in, Buffer out) implements Op {
        public List<Buffer> inputs() { return List.of(in); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "gelu"; }
    }

    /** {@code out = a + b}, elementwise (residual connections). */
    record Add(Buffer a, Buffer b, Buffer out) implements Op {
        public List<Buffer> inputs() { return List.of(a, b); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "add"; }
    }

    /**
     * Splits fused QKV rows laid out per head as {@code [heads, 3, headDim]}: queries go to
     * {@code q [rows, heads*headDim]}; each row's key and value are cached at its position
     * ({@link Step#positions()}) in the block its slot's table names ({@link Step#block}). The caches
     * are pools of blocks of {@code capacity} positions: keys transposed per block and head,
     * {@code kCache [blocks * heads * headDim, capacity]} (so scores over positions are contiguous
     * vector work), values {@code vCache [blocks * heads * capacity, headDim]}. A one-sequence graph
     * has one block holding the whole context.
     */
    record KvStore(Buffer qkv, int heads, int headDim, Buffer q, Buffer kCache, Buffer vCache) implements Op {
        public KvStore {
            checkCaches(kCache, vCache, heads, headDim);
        }

        /** Positions one block holds. */
        public int capacity() {
            return kCache.cols();
        }

        /** Blocks in the pool. */
        public int blocks() {
            return kCache.rows() / (heads * headDim);
        }

        public List<Buffer> inputs() { return List.of(qkv); }
        public List<Buffer> outputs() { return List.of(q, kCache, vCache); }
        public String kind() { return "kv_store"; }
    }

    /**
     * Causal attention with ALiBi: for head {@code h} and query row {@code r} at position
     * {@code p = position + r}, {@code score[j] = scale * q.k[j] + slopes[h] * j} for {@code j <= p},
     * fp32 softmax, {@code out = sum softmax[j] v[j]}. Heads are concatenated in {@code out}. The
     * caches are laid out as {@link KvStore} writes them; row {@code r} reads the blocks of its own
     * slot only.
     */
    record AlibiAttention(Buffer q, Buffer kCache, Buffer vCache, int heads, int headDim, float[] slopes,
                          float scale, Buffer out) implements Op {
        public AlibiAttention {
            if (slopes.length != heads) throw new IllegalArgumentException(slopes.length + " slopes for " + heads + " heads");
            checkCaches(kCache, vCache, heads, headDim);
            slopes = slopes.clone();
        }

        /** Positions one block holds. */
        public int capacity() {
            return kCache.cols();
        }

        /** Blocks in the pool. */
        public int blocks() {
            return kCache.rows() / (heads * headDim);
        }

        @Override
        public float[] slopes() {
            return slopes.clone();
        }

        public List<Buffer> inputs() { return List.of(q, kCache, vCache); }
        public List<Buffer> outputs() { return List.of(out); }
        public String kind() { return "alibi_attention"; }
    }

    /**
     * The index of the largest logit of each of the step's {@link Step#logitRows()} logits rows (ties to the
     * lowest index, as {@code torch.argmax}), stored as a float in {@code token [rows, 1]} (exact for
     * ids below 2^24). Lets greedy decoding read back one number per token instead of the logits.
     */
    record Argmax(Buffer logits, Buffer token) implements Op {
        public List<Buffer> inputs() { return List.of(logits); }
        public List<Buffer> outputs() { return List.of(token); }
        public String kind() { return "argmax"; }
    }

    /**
     * Marks each row's token in its slot's row of {@code seen [slots, vocab]} (state: the tokens of
     * each sequence, for the repetition penalty) and, for every logits row whose step asks a draw
     * ({@link Step#samplings()}), draws the next token with that row's {@link SamplingParams},
     * writing its id as a float to {@code token [logitRows, 1]}. The logits are left as they were
     * (the penalty and filters are applied on the fly).
     */
    record Sample(Buffer logits, Buffer token, Buffer seen) implements Op {
        public List<Buffer> inputs() { return List.of(logits); }
        public List<Buffer> outputs() { return List.of(token, seen); }
        public String kind() { return "sample"; }
    }

    /**
     * Logits of the step's rows that need them: {@code logits[i] = table . in[logitRowIndex[i]]}
     * ({@link Step#logitRowIndex()}; for one sequence, its last rows).
     * Separate from {@link Matmul} because it touches only the rows that need logits and because
     * device backends fuse it with argmax / sampling.
     */
    record LmHead(Buffer in, Weight table, Buffer logits) implements Op {
        public List<Buffer> inputs() { return List.of(in); }
        public List<Buffer> outputs() { return List.of(logits); }
        public String kind() { return "lm_head"; }
    }

    private static void checkCaches(Buffer kCache, Buffer vCache, int heads, int headDim) {
        long perBlock = (long) heads * headDim;
        if (kCache.rows() % perBlock != 0 || kCache.rows() == 0 || vCache.cols() != headDim
                || (long) vCache.rows() != kCache.rows() / perBlock * heads * kCache.cols()) {
            throw new IllegalArgumentException("KV caches " + kCache + ", " + vCache + " do not match " + heads + " heads of " + headDim);
        }
    }
}
