package io.bloomj.compute.cuda;

import io.bloomj.compute.device.KernelSignature;

import java.util.List;
import java.util.Map;

/**
 * The parameter lists of the kernels in {@code kernels/cuda}, by name, as the host binds them: keep
 * each next to its {@code extern "C" __global__} signature. PTX keeps no parameter names, so
 * {@code CudaSignaturesTest} checks every declaration against the .cu source (names and types) and
 * against the compiled PTX (count and sizes of the parameters). {@code step} is the
 * {@code StepInfo} buffer of common.cuh (rows and logit rows of the current step);
 * {@code rowpos, rowtab, table, rowslot, xrows} the plan's row tables (see RecordedPlan); {@code S}
 * the Q8_0 scales of the weight next to it (ignored by the float dtypes).
 */
final class CudaSignatures {
    private CudaSignatures() {}

    static final KernelSignature EMBEDDING = KernelSignature.of("embedding",
            "buffer table, buffer S, int row0, int nrows, buffer tokens, buffer out, int cols");

    static final KernelSignature LAYER_NORM = KernelSignature.of("layer_norm",
            "buffer x, buffer gamma, buffer beta, buffer y, int cols, float eps");

    private static final String MATMUL = "buffer W, buffer S, buffer bias, buffer x, int xoff, buffer y, int yoff, int ldy, int K, int N, "
            + "int rows, int act, buffer res, int has_res, int yrow";

    /** GEMV: a warp per output row, 128-bit weight loads. */
    static final KernelSignature MATMUL_GEMV = KernelSignature.of("matmul_gemv", MATMUL);

    /** GEMM on CUDA cores: 64x64 tiles staged in shared memory (every dtype). */
    static final KernelSignature MATMUL_GEMM = KernelSignature.of("matmul_gemm", MATMUL);

    /** GEMM on tensor cores (WMMA bf16, sm_80+; only in the bf16 module). */
    static final KernelSignature MATMUL_GEMM_TC = KernelSignature.of("matmul_gemm_tc", MATMUL);

    static final KernelSignature LM_HEAD_ARGMAX = KernelSignature.of("lm_head_argmax",
            "buffer W, buffer S, buffer x, buffer xrows, buffer step, int K, buffer logits, int yoff, int ldy, int N, buffer partial_val, buffer partial_idx, "
                    + "int groups, int g0");

    static final KernelSignature ARGMAX_PARTIAL = KernelSignature.of("argmax_partial",
            "buffer logits, int ld, int N, int chunk, buffer partial_val, buffer partial_idx, int groups");

    static final KernelSignature ARGMAX_FINAL = KernelSignature.of("argmax_final",
            "buffer partial_val, buffer partial_idx, int groups, buffer step, buffer token");

    static final KernelSignature GELU = KernelSignature.of("gelu", "buffer x, buffer y, buffer step, int cols");

    static final KernelSignature ADD = KernelSignature.of("add", "buffer a, buffer b, buffer out, buffer step, int cols");

    static final KernelSignature KV_STORE = KernelSignature.of("kv_store",
            "buffer qkv, buffer q, buffer kc, buffer vc, int heads, int hd, int bs, buffer rowpos, buffer rowtab, buffer table");

    /** Keys split across blocks (flash-decoding): one partial (max, sum, weighted values) per chunk of keys. */
    static final KernelSignature ALIBI_ATTENTION_SPLIT = KernelSignature.of("alibi_attention_split",
            "buffer q, buffer kc, buffer vc, buffer slopes, int heads, int hd, int bs, buffer rowpos, buffer rowtab, buffer table, float scale, "
                    + "buffer partial");

    /** Merges the partials of {@link #ALIBI_ATTENTION_SPLIT}. */
    static final KernelSignature ALIBI_ATTENTION_COMBINE = KernelSignature.of("alibi_attention_combine",
            "buffer partial, int heads, int hd, int splits, buffer out");

    static final KernelSignature MARK_SEEN = KernelSignature.of("mark_seen", "buffer tokens, buffer seen, int rows, buffer rowslot, int vocab");

    static final KernelSignature SAMPLE = KernelSignature.of("sample",
            "buffer logits, int row, int vocab, buffer seen_all, int seen_row, buffer token, float temperature, int top_k, float top_p, "
                    + "float min_p, float penalty, long seed, long counter");

    /** Gathers the rows that need logits before the LM head of a batched step. */
    static final KernelSignature GATHER_ROWS = KernelSignature.of("gather_rows", "buffer x, buffer rows, buffer out, int K");

    /** The module (kernels/cuda/{name}.cu) that holds the kernel {@code sig} declares. */
    static String fileOf(KernelSignature sig) {
        for (var e : BY_FILE.entrySet()) if (e.getValue().contains(sig)) return e.getKey();
        throw new IllegalArgumentException("kernel " + sig.function() + " is not declared in CudaSignatures.BY_FILE");
    }

    /** Every declaration by kernel file, for the test that compares them with the sources and the PTX. */
    static final Map<String, List<KernelSignature>> BY_FILE = Map.of(
            "embedding", List.of(EMBEDDING),
            "layer_norm", List.of(LAYER_NORM),
            "matmul", List.of(MATMUL_GEMV, MATMUL_GEMM, MATMUL_GEMM_TC),
            "lm_head", List.of(LM_HEAD_ARGMAX, GATHER_ROWS),
            "argmax", List.of(ARGMAX_PARTIAL, ARGMAX_FINAL),
            "gelu", List.of(GELU),
            "add", List.of(ADD),
            "kv_store", List.of(KV_STORE),
            "alibi_attention", List.of(ALIBI_ATTENTION_SPLIT, ALIBI_ATTENTION_COMBINE),
            "sample", List.of(MARK_SEEN, SAMPLE));
}
