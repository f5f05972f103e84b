package io.bloomj.cli;

import io.bloomj.api.BloomModel;
import io.bloomj.api.GenerationOptions;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.Session;
import io.bloomj.compute.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a sequence of token ids. Without --json, ids are printed as they are generated",
                "and a statistics line goes to stderr."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS",
            description = "Prompt as comma-separated token ids, e.g. 1,5,9.")
    String tokens;

    @Option(names = {"-n", "--max-new-tokens"}, defaultValue = "32", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default); > 0 samples from softmax(logits / T).")
    float temperature;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--ignore-eos", description = "Keep generating after the end-of-sequence token.")
    boolean ignoreEos;

    @Option(names = "--json", description = "Print one JSON object with tokens, finish_reason and timings.")
    boolean json;

    @Option(names = "--profile", description = "Time every kernel (op) and print a table (in the JSON with --json).")
    boolean profile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        GenerationOptions options = GenerationOptions.greedy(maxNewTokens).withTemperature(temperature).withSeed(seed)
                .withStopAtEos(!ignoreEos);
        int[] prompt = TokenList.parse(tokens);
        try (BloomModel m = model.load(spec.commandLine().getErr());
             Session session = m.newSession(Math.min(model.context, prompt.length + maxNewTokens))) {
            session.setProfiling(profile);
            boolean[] first = {true};
            GenerationResult r = session.generate(prompt, options, json ? t -> { } : t -> {
                out.print((first[0] ? "" : ",") + t);
                out.flush();
                first[0] = false;
            });
            Profile p = session.profile();
            if (json) {
                try (Json j = new Json(out)) {
                    j.field("tokens", r.tokens())
                            .field("finish_reason", r.finishReason().jsonName())
                            .field("prompt_tokens", r.promptTokens())
                            .field("generated_tokens", r.generatedTokens())
                            .field("time_to_first_token_ms", r.timeToFirstTokenMs())
                            .field("prefill_tokens_per_second", r.prefillTokensPerSecond())
                            .field("decode_tokens_per_second", r.decodeTokensPerSecond());
                    if (profile) j.raw("profile", ProfileTable.json(p));
                }
            } else {
                out.println();
                spec.commandLine().getErr().printf(Locale.ROOT,
                        "[%d prompt + %d generated tokens, finish: %s, first token %.1f ms, prefill %.1f tok/s, decode %.2f tok/s]%n",
                        r.promptTokens(), r.generatedTokens(), r.finishReason().jsonName(), r.timeToFirstTokenMs(),
                        r.prefillTokensPerSecond(), r.decodeTokensPerSecond());
                if (profile) ProfileTable.print(spec.commandLine().getErr(), "generate", p, 1, null);
            }
        }
        return 0;
    }
}
