package io.bloomj.cli;

import io.bloomj.InvalidInputException;
import io.bloomj.tensor.DType;

/** Command-line spellings of enums, with errors that list the choices. */
final class CliEnums {
    private CliEnums() {}

    static DType dtype(String name) {
        try {
            return DType.fromCli(name);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("unknown dtype '" + name + "'; choose bf16, f16 or f32");
        }
    }
}
