package io.bloomj.api;

import io.bloomj.InvalidInputException;

import java.util.Locale;

/** How a model's matrices are held once loaded ({@link LoadOptions#weights()}). */
public enum WeightFormat {
    /** As the checkpoint stores them (bf16, f16, f32, or Q8_0 for a {@code bloomj quantize} folder). */
    CHECKPOINT,
    /**
     * 8-bit blocks ({@link io.bloomj.tensor.Q8_0}): int8 values with an fp16 scale per 32, quantized
     * at load time; about half the bytes of bf16 per decoded token. Biases and LayerNorm
     * parameters keep the checkpoint's dtype.
     */
    Q8_0;

    /** The command-line names: {@code checkpoint}, {@code q8_0}. */
    public static WeightFormat fromCli(String name) {
        for (WeightFormat f : values()) if (f.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) return f;
        throw new InvalidInputException("unknown weight format '" + name + "'; use checkpoint or q8_0");
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
