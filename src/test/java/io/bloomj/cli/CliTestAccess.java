package io.bloomj.cli;

/** Runs the CLI in-process for tests of other packages. */
public final class CliTestAccess {
    private CliTestAccess() {}

    public record Result(int code, String out, String err) {}

    public static Result run(String... args) {
        CliTest.Result r = CliTest.run(args);
        return new Result(r.code(), r.out(), r.err());
    }
}
