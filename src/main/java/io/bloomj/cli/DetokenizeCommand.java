package io.bloomj.cli;

import io.bloomj.InvalidInputException;
import io.bloomj.tokenizer.BloomTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "detokenize", mixinStandardHelpOptions = true, description = "Print the text of token ids.")
final class DetokenizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder with tokenizer.json.")
    Path model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS", description = "Comma-separated token ids.")
    String tokens;

    @Option(names = "--skip-special", description = "Leave out special tokens (<s>, </s>, ...).")
    boolean skipSpecial;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        int[] ids = TokenList.parse(tokens);
        try (BloomTokenizer tok = BloomTokenizer.load(model)) {
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
