package io.bloomj.tensor;

import java.util.Optional;

/** Element types of weights. Activations are always fp32. */
public enum DType {
    /** bfloat16: the top 16 bits of an IEEE fp32 (1 sign, 8 exponent, 7 mantissa bits). */
    BF16("BF16", 2),
    /** IEEE half precision (1 sign, 5 exponent, 10 mantissa bits). */
    F16("F16", 2),
    /** IEEE single precision. */
    F32("F32", 4),
    /**
     * 8-bit blocks ({@link Q8_0}): int8 values, one fp16 scale per {@link Q8_0#BLOCK} values along a
     * row. {@link #bytes()} is the int8 value; the scales add 2 bytes per block.
     */
    Q8_0("I8", 1);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    /** Size of one element of the tensor's data in bytes (for Q8_0 the int8 value, without its share of a scale). */
    public int bytes() {
        return bytes;
    }

    /** The dtype string safetensors headers use ("BF16", "F16", "F32"; "I8" for the values of a Q8_0 matrix). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Whether a tensor stores its values as they are (not quantized). */
    public boolean isFloat() {
        return this != Q8_0;
    }

    /** The float dtypes by their safetensors name (I8 is Q8_0 only together with its scales: see SafetensorsFile). */
    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.isFloat() && t.safetensorsName.equals(name)) return Optional.of(t);
        }
        return Optional.empty();
    }

    /** Parses the lower-case names used on the command line: bf16, f16, f32, q8_0. */
    public static DType fromCli(String name) {
        return valueOf(name.trim().toUpperCase(java.util.Locale.ROOT));
    }
}
