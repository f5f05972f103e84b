package io.bloomj.cli;

import io.bloomj.api.BloomModel;
import io.bloomj.api.ChatSession;
import io.bloomj.api.GenerationConfig;
import io.bloomj.api.GenerationResult;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a BLOOMZ chat model in its format (</s>{user}<s>{bot}...), answers streamed as they come.",
                "Interactive on a terminal (line editing, history, Ctrl-C stops an answer); reads one question per line",
                "from a pipe otherwise. Commands: /reset (new conversation), /exit."})
final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "Preamble text placed before the conversation.")
    String system;

    @Option(names = "--no-stats", description = "Do not print the statistics line after each answer.")
    boolean noStats;

    @Spec
    CommandSpec spec;

    private interface Lines {
        String next() throws IOException;   // null at end of input
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (BloomModel m = model.load(err); ChatSession chat = m.newChat(system)) {
            GenerationConfig config = sampling.config(m.generationDefaults());
            boolean interactive = System.console() != null;
            Terminal terminal = interactive ? TerminalBuilder.builder().system(true).build() : null;
            Lines lines;
            if (terminal != null) {
                LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("bloomj")
                        .variable(LineReader.HISTORY_FILE, historyFile()).build();
                out.println("bloomj chat: " + model.model + " on " + m.backendDescription() + ". /reset, /exit, Ctrl-D to quit.");
                lines = () -> {
                    try {
                        return reader.readLine("> ");
                    } catch (UserInterruptException e) {
                        return "";
                    } catch (EndOfFileException e) {
                        return null;
                    }
                };
            } else {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                lines = in::readLine;
            }
            try {
                loop(lines, chat, config, out, err);
            } finally {
                if (terminal != null) terminal.close();
            }
        }
        return 0;
    }

    private void loop(Lines lines, ChatSession chat, GenerationConfig config, PrintWriter out, PrintWriter err) throws IOException {
        String line;
        while ((line = lines.next()) != null) {
            String q = line.strip();
            if (q.isEmpty()) continue;
            if (q.equals("/exit") || q.equals("/quit")) break;
            if (q.equals("/reset")) {
                chat.reset();
                err.println("(new conversation)");
                err.flush();
                continue;
            }
            Interrupts.onCtrlC(chat::cancel);
            ChatSession.Reply reply = chat.ask(q, config, (token, piece) -> {
                out.print(piece);
                out.flush();
            });
            Interrupts.clear();
            out.println();
            out.flush();
            GenerationResult r = reply.result();
            if (reply.droppedExchanges() > 0) {
                err.printf("(the conversation outgrew the context: dropped the %d oldest exchange(s))%n", reply.droppedExchanges());
            }
            if (!noStats) {
                err.printf(Locale.ROOT, "[%d tokens, %.2f tok/s, first token %.0f ms, %s]%n", r.generatedTokens(),
                        r.decodeTokensPerSecond(), r.timeToFirstTokenMs(), r.finishReason().jsonName());
            }
            err.flush();
        }
    }

    private static Path historyFile() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("bloomj").resolve("chat_history");
    }
}
