package io.bloomj.compute.device;

import io.bloomj.compute.Buffer;
import io.bloomj.tensor.Weight;

/**
 * What a device backend launches: the ops of a graph after {@link Lowering} has fused what the
 * backend can fuse and chosen GEMV or GEMM per step size. {@link #name()} is the op family: the
 * kernel file ({@code kernels/opencl/<name>.cl}, {@code kernels/cuda/<name>.cu}) that holds it.
 * A backend binds each record to one or more launches of its own kernels (per weight block, or a
 * partial pass and a final one); the fields are everything those launches read and write.
 */
public sealed interface Kernel {
    /** The op family, shared with {@link io.bloomj.compute.Op#kind()} and the kernel files. */
    String name();

    /** What a GEMV or GEMM applies to each output as it writes it. */
    enum Epilogue {
        /** {@code y = W.x + b} */
        NONE,
        /** {@code y = gelu(W.x + b)} (BLOOM's tanh GELU) */
        GELU,
        /** {@code y = W.x + b + residual} */
        RESIDUAL
    }

    /** GEMV (one or two rows: a pass over the weights per row) or tiled GEMM (prefill). */
    enum Variant {
        GEMV, GEMM;

        /** The variant's suffix in kernel function names: {@code matmul_gemv}, {@code matmul_gemm}. */
        public String suffix() {
            return this == GEMV ? "gemv" : "gemm";
        }
    }

    /** {@code out[r] = table[tokens[r]]}, the step's token ids uploaded by the plan. */
    record Embedding(Weight table, Buffer out) implements Kernel {
        public String name() { return "embedding"; }
    }

    record LayerNorm(Buffer in, Weight gamma, Weight beta, float eps, Buffer out) implements Kernel {
        public String name() { return "layer_norm"; }
    }

    /**
     * {@code out[r] = epilogue(weight . in[r] + bias)} over the step's rows; {@code bias} may be null;
     * {@code residual} is set exactly when the epilogue is {@link Epilogue#RESIDUAL}.
     */
    record Matmul(Variant variant, Buffer in, Weight weight, Weight bias, Epilogue epilogue, Buffer residual, Buffer out)
            implements Kernel {
        public Matmul {
            if ((epilogue == Epilogue.RESIDUAL) != (residual != null)) {
                throw new IllegalArgumentException("a residual buffer goes with the RESIDUAL epilogue only");
            }
        }

        public String name() { return "matmul"; }
    }

    /** Logits of the step's last logit rows (a GEMV over the rows that need them). */
    record LmHead(Buffer in, Weight table, Buffer logits) implements Kernel {
        public String name() { return "lm_head"; }
    }

    /** {@link LmHead} that also leaves per-group argmax candidates, then the argmax of each logit row into {@code token}. */
    record LmHeadArgmax(Buffer in, Weight table, Buffer logits, Buffer token) implements Kernel {
        public String name() { return "lm_head"; }
    }

    /** Argmax of each logit row (ties to the lowest id), as a float id in {@code token}. */
    record Argmax(Buffer logits, Buffer token) implements Kernel {
        public String name() { return "argmax"; }
    }

    record Gelu(Buffer in, Buffer out) implements Kernel {
        public String name() { return "gelu"; }
    }

    record Add(Buffer a, Buffer b, Buffer out) implements Kernel {
        public String name() { return "add"; }
    }

    /** See {@link io.bloomj.compute.Op.KvStore}: the step's position comes from the plan. */
    record KvStore(Buffer qkv, int heads, int headDim, Buffer q, Buffer kCache, Buffer vCache) implements Kernel {
        public int capacity() { return kCache.cols(); }

        public String name() { return "kv_store"; }
    }

    /** See {@link io.bloomj.compute.Op.AlibiAttention}. */
    record AlibiAttention(Buffer q, Buffer kCache, Buffer vCache, int heads, int headDim, float[] slopes, float scale, Buffer out)
            implements Kernel {
        public AlibiAttention {
            slopes = slopes.clone();
        }

        @Override
        public float[] slopes() {
            return slopes.clone();
        }

        public int capacity() { return kCache.cols(); }

        public String name() { return "alibi_attention"; }
    }

    /** Marks the step's tokens in {@code seen} (for the repetition penalty); every step. */
    record MarkSeen(Buffer seen) implements Kernel {
        public String name() { return "sample"; }
    }

    /** Draws a token from the last logits row with the step's sampling parameters; sampling steps only. */
    record Sample(Buffer logits, Buffer seen, Buffer token) implements Kernel {
        public String name() { return "sample"; }
    }
}
