package io.bloomj.compute;

import io.bloomj.InvalidInputException;

import java.util.Locale;

/** How prompt rows' matrix products are computed ({@code --matmul}). */
public enum MatmulMode {
    /**
     * fp32 activations times the weights widened to fp32, one fma chain per output in a fixed order:
     * the parity tests' tolerances, and a row's bits never depend on the other rows of its step.
     */
    EXACT,
    /**
     * Prompt rows rounded to bf16 and multiplied by bf16 weights with fp32 accumulation in a native
     * GEMM (oneDNN) using the CPU's bf16 dot-product instructions, as llama.cpp and PyTorch's bf16
     * matmuls do: faster prefill where the CPU has them, logits a little further from the
     * reference. Decode rows stay exact. Where the library or the instructions are missing the
     * backend says why and runs {@link #EXACT}.
     */
    BF16;

    /** The command-line names: {@code exact}, {@code bf16}. */
    public static MatmulMode fromCli(String name) {
        for (MatmulMode m : values()) if (m.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) return m;
        throw new InvalidInputException("unknown matmul mode '" + name + "'; use exact or bf16");
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
