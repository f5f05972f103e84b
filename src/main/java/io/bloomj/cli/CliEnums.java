package io.bloomj.cli;

import io.bloomj.InvalidInputException;
import io.bloomj.tensor.DType;

/** Command-line spellings of enums, with errors that list the choices. */
final class CliEnums {
    private CliEnums() {}

    /** A float dtype for random checkpoints (quantized weights come from --weights q8_0 or bloomj quantize). */
    static DType dtype(String name) {
        DType d;
        try {
            d = DType.fromCli(name);
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || !d.isFloat()) throw new InvalidInputException("unknown dtype '" + name + "'; choose bf16, f16 or f32");
        return d;
    }
}
