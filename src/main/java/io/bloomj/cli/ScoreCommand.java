package io.bloomj.cli;

import io.bloomj.api.BloomModel;
import io.bloomj.api.Score;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = {"Log-likelihood of a continuation after a context (natural log), as one JSON object: sum, mean",
                "and per-token log-probabilities. The basis of multiple-choice evaluation."})
final class ScoreCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--context", required = true, description = "Context text (may be empty).")
    String context;

    @Option(names = "--continuation", required = true, description = "Continuation text to score.")
    String continuation;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (BloomModel m = model.load(spec.commandLine().getErr())) {
            Score s = m.score(context, continuation);
            try (Json j = new Json(spec.commandLine().getOut())) {
                j.field("tokens", s.tokens()).field("sum_logprob", s.sum()).field("mean_logprob", s.mean())
                        .field("token_logprobs", s.perToken());
            }
        }
        return 0;
    }
}
