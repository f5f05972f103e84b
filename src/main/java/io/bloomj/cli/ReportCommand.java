package io.bloomj.cli;

import io.bloomj.report.ReportWriter;
import io.bloomj.report.ResultSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Render JMH JSON (-rf json) and 'bloomj bench -o json|jsonl' results into PNG charts, one self-contained",
                "HTML page (report.html) and a Markdown summary (summary.md). With two or more bench result files the",
                "page compares them (tokens/s side by side, ratios)."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULTS", description = "Result files.")
    List<Path> results;

    @Option(names = {"-o", "--out"}, defaultValue = "bloomj-report", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<ResultSet> sets = new ArrayList<>();
        for (Path p : results) sets.add(ResultSet.read(p));
        List<Path> charts = ReportWriter.write(sets, out);
        spec.commandLine().getOut().println(out.resolve("report.html"));
        for (Path c : charts) spec.commandLine().getOut().println(c);
        spec.commandLine().getOut().println(out.resolve("summary.md"));
        return 0;
    }
}
