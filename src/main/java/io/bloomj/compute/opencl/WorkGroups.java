package io.bloomj.compute.opencl;

import io.bloomj.BloomjException;

/**
 * Work-group sizes of the OpenCL kernels that reduce in local memory, each a power of two the
 * device allows. The defaults suit the devices measured (PoCL; GPUs of 64 to 1024 work-items per
 * group); another GPU may prefer others, and the parity tests sweep them.
 *
 * @param gemv      work-items per output row of the GPU-style GEMV ({@code matmul_gemv})
 * @param layerNorm work-items per row of {@code layer_norm} on GPUs (CPU devices use 1)
 * @param attention work-items per (head, row) of {@code alibi_attention_wg}
 * @param lmHead    work-items per group of {@code lm_head_argmax} (each computes 4 logits)
 * @param sample    work-items of the single group that runs {@code sample}
 */
public record WorkGroups(int gemv, int layerNorm, int attention, int lmHead, int sample) {
    public WorkGroups {
        for (int size : new int[] {gemv, layerNorm, attention, lmHead, sample}) {
            if (size < 1 || Integer.bitCount(size) != 1) throw new BloomjException("work-group sizes must be powers of two, got " + size);
        }
    }

    /** The defaults for {@code device}: 128 / 256 / 64 / 64 / 64, capped at its largest work-group. */
    public static WorkGroups defaults(ClDevice device) {
        return new WorkGroups(cap(128, device), cap(256, device), cap(64, device), cap(64, device), cap(64, device));
    }

    /** The same sizes capped at what {@code device} allows. */
    public WorkGroups fittedTo(ClDevice device) {
        return new WorkGroups(cap(gemv, device), cap(layerNorm, device), cap(attention, device), cap(lmHead, device), cap(sample, device));
    }

    private static int cap(int size, ClDevice device) {
        return (int) Math.min(size, Integer.highestOneBit((int) Math.min(Integer.MAX_VALUE, Math.max(1, device.maxWorkGroupSize()))));
    }
}
