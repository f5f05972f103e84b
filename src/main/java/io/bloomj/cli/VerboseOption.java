package io.bloomj.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}: {@link Main} adds the stack trace to error messages when it is on the command line. */
final class VerboseOption {
    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;
}
