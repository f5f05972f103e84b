package io.bloomj.cli;

import io.bloomj.tokenizer.BloomTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.bloomj.hub.HubDownloader;
import io.bloomj.hub.ModelLocator;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids (and token strings) of a text with the model's tokenizer, as one JSON object.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = HubDownloader.DEFAULT_MODEL, paramLabel = "DIR|REPO",
            description = "Model folder with tokenizer.json, or a Hub repo id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--text", required = true, description = "Text to tokenize; special tokens like </s> are recognised.")
    String text;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (BloomTokenizer tok = BloomTokenizer.load(ModelLocator.locate(model, Progress.listener(spec.commandLine().getErr()))); Json j = new Json(spec.commandLine().getOut())) {
            j.field("tokens", tok.encode(text)).raw("pieces", Json.strings(tok.tokens(text)));
        }
        return 0;
    }
}
