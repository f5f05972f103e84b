package io.bloomj.cli;

import io.bloomj.InvalidInputException;
import io.bloomj.api.BloomModel;
import io.bloomj.api.Cancellation;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationResult;
import io.bloomj.api.Session;
import io.bloomj.api.TokenLogprob;
import io.bloomj.compute.Profile;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a text (--prompt) or token ids (--tokens). With --stream the answer is printed as it is",
                "generated; a statistics line goes to stderr. With --json, one JSON object is printed at the end."})
final class GenerateCommand implements Callable<Integer> {
    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (needs the model's tokenizer.json).")
        String prompt;

        @Option(names = "--tokens", paramLabel = "IDS", description = "Prompt as comma-separated token ids, e.g. 1,5,9.")
        String tokens;
    }

    @Mixin
    ModelOptions model;

    @ArgGroup(multiplicity = "1")
    Input input;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--stream", description = "Print the answer as it is generated.")
    boolean stream;

    @Option(names = "--json", description = "Print one JSON object with text, tokens, finish_reason and timings.")
    boolean json;

    @Option(names = "--profile", description = "Time every kernel (op) and print a table (in the JSON with --json).")
    boolean profile;

    @Spec
    CommandSpec spec;

    /** The shell's convention for a program stopped by SIGINT (128 + 2): a script sees the answer was cut short. */
    static final int EXIT_INTERRUPTED = 130;

    private int exitCode = 0;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (BloomModel m = model.load(spec.commandLine().getErr())) {
            GenerationConfig config = sampling.config(m.generationDefaults());
            boolean text = input.prompt != null;
            int[] prompt = text ? m.requireTokenizer().encode(input.prompt) : TokenList.parse(input.tokens);
            if (prompt.length == 0) throw new InvalidInputException("the prompt is empty");
            try (Session session = m.newSession((int) Math.min(model.context, (long) prompt.length + config.maxNewTokens()))) {
                session.setProfiling(profile);
                Cancellation cancel = new Cancellation();
                Interrupts.onCtrlC(cancel::cancel);
                boolean[] first = {true};
                GenerationResult r = session.generate(prompt, config, (token, piece) -> {
                    if (!stream || json) return;
                    out.print(text ? piece : (first[0] ? "" : ",") + token);
                    out.flush();
                    first[0] = false;
                }, cancel);
                Interrupts.clear();
                if (r.finishReason() == io.bloomj.api.FinishReason.CANCELLED) exitCode = EXIT_INTERRUPTED;
                Profile p = session.profile();
                if (json) {
                    try (Json j = new Json(out)) {
                        if (m.tokenizer().isPresent()) j.field("text", r.text());
                        j.field("tokens", r.tokens())
                                .field("finish_reason", r.finishReason().jsonName())
                                .field("prompt_tokens", r.promptTokens())
                                .field("generated_tokens", r.generatedTokens())
                                .field("time_to_first_token_ms", r.timeToFirstTokenMs())
                                .field("prefill_tokens_per_second", r.prefillTokensPerSecond())
                                .field("decode_tokens_per_second", r.decodeTokensPerSecond());
                        if (config.logprobs() > 0) j.raw("logprobs", logprobsJson(r));
                        if (profile) j.raw("profile", ProfileTable.json(p));
                    }
                } else {
                    if (!stream) out.print(text ? r.text() : joined(r.tokens()));
                    out.println();
                    out.flush();
                    spec.commandLine().getErr().printf(Locale.ROOT,
                            "[%d prompt + %d generated tokens, finish: %s, first token %.1f ms, prefill %.1f tok/s, decode %.2f tok/s]%n",
                            r.promptTokens(), r.generatedTokens(), r.finishReason().jsonName(), r.timeToFirstTokenMs(),
                            r.prefillTokensPerSecond(), r.decodeTokensPerSecond());
                    if (profile) ProfileTable.print(spec.commandLine().getErr(), "generate", p, 1, null);
                }
            }
        }
        return exitCode;
    }

    private static String joined(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
        return sb.toString();
    }

    private static String logprobsJson(GenerationResult r) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < r.logprobs().size(); i++) {
            TokenLogprob lp = r.logprobs().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"token\":").append(lp.token()).append(",\"logprob\":").append(lp.logprob())
                    .append(",\"top\":[");
            for (int k = 0; k < lp.top().size(); k++) {
                TokenLogprob.Alternative a = lp.top().get(k);
                sb.append(k == 0 ? "" : ",").append("{\"token\":").append(a.token()).append(",\"logprob\":").append(a.logprob()).append('}');
            }
            sb.append("]}");
        }
        return sb.append(']').toString();
    }
}
