package io.bloomj.cli;

import io.bloomj.BloomjException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code bloomj}: the command-line front end. Every command prints {@code --help}; bad input ends
 * with a one-line message and a non-zero exit code ({@code --verbose} adds the stack trace).
 */
@Command(name = "bloomj", mixinStandardHelpOptions = true, version = "bloomj 0.1.0",
        description = "Run BLOOM-family language models on CPUs and GPUs from the JVM.",
        subcommands = {DevicesCommand.class, DownloadCommand.class, ModelsCommand.class, InfoCommand.class, LogitsCommand.class, GenerateCommand.class, ChatCommand.class,
                TokenizeCommand.class, DetokenizeCommand.class, ScoreCommand.class, PerplexityCommand.class, RandomModelCommand.class, QuantizeCommand.class,
                BenchCommand.class, ServeCommand.class, ReportCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input (unusable model, bad arguments). */
    static final int EXIT_BAD_INPUT = 2;
    /** Exit code for unexpected failures (bugs, I/O errors). */
    static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given streams; returns the exit code. For tests and embedding. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (verbose) e.printStackTrace(commandLine.getErr());
            commandLine.getErr().println("bloomj: " + oneLine(e));
            commandLine.getErr().flush();
            return e instanceof BloomjException || e instanceof IllegalArgumentException ? EXIT_BAD_INPUT : EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((e, a) -> {
            // One line, as every error: the message and where help is (qualifiedName: "bloomj" at the top
            // level, not "bloomj bloomj"; "bloomj info" for a command).
            e.getCommandLine().getErr().println("bloomj: " + e.getMessage() + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            return EXIT_BAD_INPUT;
        });
        return cl.execute(args);
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (e instanceof BloomjException) return message;
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + message + "); raise -Xmx in tornado.env or use a smaller --context-length";
        }
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
