package io.bloomj.compute.opencl;

import io.bloomj.compute.device.KernelSignature;

/**
 * The parameter lists of the kernels in {@code kernels/opencl}, by name, as the host binds them.
 * Kernels that read weights take the weight's Q8_0 scales {@code S} next to it (any buffer for the
 * float dtypes, which ignore it).
 * {@link ClKernel} checks each against the compiled kernel's own argument names and kinds
 * ({@code clGetKernelArgInfo}) when it creates it, so a kernel edited without its declaration fails
 * at load time with both lists, never with arguments silently shifted.
 */
final class ClSignatures {
    private ClSignatures() {}

    static final KernelSignature EMBEDDING = KernelSignature.of("embedding",
            "buffer table, buffer S, int row0, int nrows, buffer tokens, buffer out, int cols");

    static final KernelSignature LAYER_NORM = KernelSignature.of("layer_norm",
            "buffer x, buffer gamma, buffer beta, buffer y, int cols, float eps, local scratch");

    private static final String MATMUL = "buffer W, buffer S, buffer bias, buffer x, int xoff, buffer y, int yoff, int ldy, int K, int N, "
            + "int rows, int act, buffer res, int has_res, int yrow";

    /** GEMV, GPU style: a work-group per output row, local-memory reduction. */
    static final KernelSignature MATMUL_GEMV = KernelSignature.of("matmul_gemv", MATMUL + ", local scratch");

    /** GEMV, CPU-device style: one work-item per four output rows, no barriers. */
    static final KernelSignature MATMUL_GEMV_ROWS4 = KernelSignature.of("matmul_gemv_rows4", MATMUL);

    /** GEMM (prefill): 4x4 tiles per work-item. */
    static final KernelSignature MATMUL_GEMM = KernelSignature.of("matmul_gemm", MATMUL);

    static final KernelSignature LM_HEAD_ARGMAX = KernelSignature.of("lm_head_argmax",
            "buffer W, buffer S, buffer x, int xoff, buffer logits, int yoff, int ldy, int K, int N, int rows, buffer partial_val, "
                    + "buffer partial_idx, int groups, int g0, local lval, local lidx");

    static final KernelSignature ARGMAX_PARTIAL = KernelSignature.of("argmax_partial",
            "buffer logits, int ld, int N, int chunk, buffer partial_val, buffer partial_idx, int groups");

    static final KernelSignature ARGMAX_FINAL = KernelSignature.of("argmax_final",
            "buffer partial_val, buffer partial_idx, int groups, buffer token");

    static final KernelSignature GELU = KernelSignature.of("gelu", "buffer x, buffer y, int n");

    static final KernelSignature ADD = KernelSignature.of("add", "buffer a, buffer b, buffer out, int n");

    static final KernelSignature KV_STORE = KernelSignature.of("kv_store",
            "buffer qkv, buffer q, buffer kc, buffer vc, int heads, int bs, buffer rowpos, buffer rowtab, buffer table");

    private static final String ATTENTION = "buffer q, buffer kc, buffer vc, buffer out, buffer slopes, int heads, int bs, "
            + "buffer rowpos, buffer rowtab, buffer table, float scale";

    /** One work-item per (head, row) walks all keys (CPU devices). */
    static final KernelSignature ALIBI_ATTENTION = KernelSignature.of("alibi_attention", ATTENTION);

    /** One work-group per (head, row) splits the keys between its work-items and merges in local memory (GPUs). */
    static final KernelSignature ALIBI_ATTENTION_WG = KernelSignature.of("alibi_attention_wg",
            ATTENTION + ", local lm, local ll, local lacc");

    static final KernelSignature MARK_SEEN = KernelSignature.of("mark_seen", "buffer tokens, buffer seen, int rows, buffer rowslot, int vocab");

    static final KernelSignature SAMPLE = KernelSignature.of("sample",
            "buffer logits, int row, int vocab, buffer seen_all, int seen_row, buffer token, float temperature, int top_k, float top_p, "
                    + "float min_p, float penalty, long seed, long counter, local sf, local si");

    /** Gathers the rows that need logits before the LM head of a batched step. */
    static final KernelSignature GATHER_ROWS = KernelSignature.of("gather_rows", "buffer x, buffer rows, buffer out, int K");

    /** The file (in kernels/opencl) that holds the kernel {@code sig} declares. */
    static String fileOf(KernelSignature sig) {
        for (var e : BY_FILE.entrySet()) if (e.getValue().contains(sig)) return e.getKey();
        throw new IllegalArgumentException("kernel " + sig.function() + " is not declared in ClSignatures.BY_FILE");
    }

    /** Every declaration, by the file that holds it. */
    static final java.util.Map<String, java.util.List<KernelSignature>> BY_FILE = java.util.Map.of(
            "embedding.cl", java.util.List.of(EMBEDDING),
            "layer_norm.cl", java.util.List.of(LAYER_NORM),
            "matmul.cl", java.util.List.of(MATMUL_GEMV, MATMUL_GEMV_ROWS4, MATMUL_GEMM),
            "lm_head.cl", java.util.List.of(LM_HEAD_ARGMAX, GATHER_ROWS),
            "argmax.cl", java.util.List.of(ARGMAX_PARTIAL, ARGMAX_FINAL),
            "gelu.cl", java.util.List.of(GELU),
            "add.cl", java.util.List.of(ADD),
            "kv_store.cl", java.util.List.of(KV_STORE),
            "alibi_attention.cl", java.util.List.of(ALIBI_ATTENTION, ALIBI_ATTENTION_WG),
            "sample.cl", java.util.List.of(MARK_SEEN, SAMPLE));
}
