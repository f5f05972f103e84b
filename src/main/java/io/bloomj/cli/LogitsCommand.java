package io.bloomj.cli;

import io.bloomj.api.BloomModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = {"Run one forward pass over token ids and print one JSON object:",
                "  logits: the vocabulary-sized logits at the last position,",
                "  argmax: the most likely next token after every position."})
final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS",
            description = "Comma-separated token ids, e.g. 1,5,9.")
    String tokens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (BloomModel m = model.load(spec.commandLine().getErr())) {
            float[][] perPosition = m.logitsPerPosition(TokenList.parse(tokens));
            int[] argmax = new int[perPosition.length];
            for (int i = 0; i < argmax.length; i++) argmax[i] = argmax(perPosition[i]);
            try (Json json = new Json(spec.commandLine().getOut())) {
                json.field("logits", perPosition[perPosition.length - 1]).field("argmax", argmax);
            }
        }
        return 0;
    }

    /** Index of the largest logit, ties to the lowest id (as torch.argmax). */
    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
