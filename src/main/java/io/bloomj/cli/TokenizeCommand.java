package io.bloomj.cli;

import io.bloomj.tokenizer.BloomTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids (and token strings) of a text with the model's tokenizer, as one JSON object.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder with tokenizer.json.")
    Path model;

    @Option(names = "--text", required = true, description = "Text to tokenize; special tokens like </s> are recognised.")
    String text;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (BloomTokenizer tok = BloomTokenizer.load(model); Json j = new Json(spec.commandLine().getOut())) {
            j.field("tokens", tok.encode(text)).raw("pieces", Json.strings(tok.tokens(text)));
        }
        return 0;
    }
}
