package io.bloomj.cli;

import io.bloomj.CheckpointException;
import io.bloomj.api.BloomModel;
import io.bloomj.api.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Perplexity of a text file with a sliding window (each token scored once, with up to",
                "window - stride tokens of carried-over context), as one JSON object."})
final class PerplexityCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--file", required = true, paramLabel = "FILE", description = "UTF-8 text file.")
    Path file;

    @Option(names = "--window", description = "Tokens per window (default: the context length).")
    Integer window;

    @Option(names = "--stride", description = "Tokens the window advances by (default: half the window).")
    Integer stride;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new io.bloomj.InvalidInputException("--file " + file + " does not exist");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new io.bloomj.InvalidInputException("--file " + file + " is not UTF-8 text (byte " + e.getInputLength() + " of a character is invalid)");
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + io.bloomj.IoErrors.describe(e), e);
        }
        try (BloomModel m = model.load(spec.commandLine().getErr())) {
            int[] tokens = m.requireTokenizer().encode(text);
            int w = window != null ? window : Math.min(m.options().contextLength(), Math.max(2, tokens.length));
            int s = stride != null ? stride : Math.max(1, w / 2);
            Perplexity p = m.perplexity(tokens, w, s);
            try (Json j = new Json(spec.commandLine().getOut())) {
                j.field("perplexity", p.perplexity()).field("nll", p.nll()).field("scored_tokens", p.scoredTokens())
                        .field("tokens", tokens.length).field("windows", p.windows()).field("window", w).field("stride", s);
            }
        }
        return 0;
    }
}
