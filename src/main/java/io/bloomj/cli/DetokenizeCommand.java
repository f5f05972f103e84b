package io.bloomj.cli;

import io.bloomj.InvalidInputException;
import io.bloomj.tokenizer.BloomTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.bloomj.hub.HubDownloader;
import io.bloomj.hub.ModelLocator;
import java.util.concurrent.Callable;

@Command(name = "detokenize", mixinStandardHelpOptions = true, description = "Print the text of token ids.")
final class DetokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = HubDownloader.DEFAULT_MODEL, paramLabel = "DIR|REPO",
            description = "Model folder with tokenizer.json, or a Hub repo id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS", description = "Comma-separated token ids.")
    String tokens;

    @Option(names = "--skip-special", description = "Leave out special tokens (<s>, </s>, ...).")
    boolean skipSpecial;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        int[] ids = TokenList.parse(tokens);
        try (BloomTokenizer tok = BloomTokenizer.load(ModelLocator.locate(model, Progress.listener(spec.commandLine().getErr())))) {
            for (int id : ids) {
                if (id < 0 || id >= tok.vocabSize()) {
                    throw new InvalidInputException("token id " + id + " is outside the tokenizer's vocabulary [0, " + tok.vocabSize() + ")");
                }
            }
            spec.commandLine().getOut().println(tok.decode(ids, skipSpecial));
        }
        return 0;
    }
}
