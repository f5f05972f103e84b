package io.bloomj.model;

import io.bloomj.InvalidInputException;

import java.util.Locale;

/** Named BLOOM shapes for random checkpoints and benchmarks. */
public enum ModelShape {
    /** A few MB: for smoke tests and quick runs. */
    TINY(BloomConfig.of(4096, 128, 2, 8)),
    /** bigscience/bloom-560m: hidden 1024, 24 layers, 16 heads, vocab 250880 (~1.1 GB in bf16). */
    BLOOM_560M(BloomConfig.of(250880, 1024, 24, 16)),
    /** bloomz-3b / cmarkea/bloomz-3b-dpo-chat: hidden 2560, 30 layers, 32 heads, vocab 250880 (~6 GB in bf16). */
    BLOOM_3B(BloomConfig.of(250880, 2560, 30, 32));

    private final BloomConfig config;

    ModelShape(BloomConfig config) {
        this.config = config;
    }

    public BloomConfig config() {
        return config;
    }

    /** The command-line name: tiny, 560m, 3b. */
    public String cliName() {
        return switch (this) {
            case TINY -> "tiny";
            case BLOOM_560M -> "560m";
            case BLOOM_3B -> "3b";
        };
    }

    public static ModelShape fromCli(String name) {
        for (ModelShape s : values()) if (s.cliName().equals(name.toLowerCase(Locale.ROOT))) return s;
        throw new InvalidInputException("unknown shape '" + name + "'; choose tiny, 560m or 3b");
    }
}
