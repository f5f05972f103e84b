package io.bloomj.tensor;

import java.util.Optional;

/** Element types of weights as stored in checkpoints. Activations are always fp32. */
public enum DType {
    /** bfloat16: the top 16 bits of an IEEE fp32 (1 sign, 8 exponent, 7 mantissa bits). */
    BF16("BF16", 2),
    /** IEEE half precision (1 sign, 5 exponent, 10 mantissa bits). */
    F16("F16", 2),
    /** IEEE single precision. */
    F32("F32", 4);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype string safetensors headers use ("BF16", "F16", "F32"). */
    public String safetensorsName() {
        return safetensorsName;
    }

    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** Parses the lower-case names used on the command line: bf16, f16, f32. */
    public static DType fromCli(String name) {
        return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
