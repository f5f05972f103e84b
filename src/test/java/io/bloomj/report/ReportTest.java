package io.bloomj.report;

import io.bloomj.CheckpointException;
import io.bloomj.cli.CliTestAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bloomj report` on committed sample results: a JMH run (with JMH's "NaN" error strings) and two bench runs. */
class ReportTest {
    @TempDir
    Path out;

    static Path sample(String name) {
        try {
            return Path.of(ReportTest.class.getResource("/report/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsJmhJsonWithNaNStringsAndBenchJson() {
        ResultSet jmh = ResultSet.read(sample("jmh-kernels.json"));
        assertTrue(jmh.kernels().size() >= 4);
        assertTrue(jmh.kernels().stream().allMatch(k -> Double.isNaN(k.error())), "single-iteration errors are \"NaN\" strings");
        assertTrue(jmh.kernels().stream().anyMatch(k -> k.gbPerSecond() > 0));
        ResultSet bench = ResultSet.read(sample("bench-cpu.json"));
        assertEquals(List.of("pp32", "tg16"), bench.throughputs().stream().map(ResultSet.Throughput::test).toList());
    }

    @Test
    void rendersPngChartsAnHtmlPageThatShowsEachAndAMarkdownSummary() throws IOException {
        System.setProperty("java.awt.headless", "true");
        CliTestAccess.Result r = CliTestAccess.run("report", sample("jmh-kernels.json").toString(), sample("bench-cpu.json").toString(),
                sample("bench-opencl.json").toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(out.resolve("report.html"));
        for (String chart : List.of("kernels.png", "throughput.png", "comparison.png")) {
            BufferedImage img = ImageIO.read(out.resolve(chart).toFile());
            assertNotNull(img, chart + " decodes as PNG");
            assertEquals(ReportWriter.WIDTH, img.getWidth());
            assertEquals(ReportWriter.HEIGHT, img.getHeight());
            assertTrue(html.contains("data-chart=\"" + chart + "\""), "the page shows " + chart);
        }
        assertTrue(html.contains("data:image/png;base64,"), "charts are embedded: the page is self-contained");
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| test | bench-cpu t/s | bench-opencl t/s | ratio |"), md);
        assertTrue(md.contains("| benchmark | ms/op |"), md);
    }

    /** A JMH run of one benchmark on two backends (TornadoVM and hand-written OpenCL): each kernel side by side with the ratio, and a chart. */
    @Test
    void kernelsOfTwoBackendsAreComparedSideBySide() throws IOException {
        ResultSet jmh = ResultSet.read(sample("jmh-backends.json"));
        List<ReportWriter.BackendPair> pairs = ReportWriter.backendPairs(jmh.kernels());
        assertEquals(List.of("Op.step matmul 0", "Op.step lm_head 0"), pairs.stream().map(ReportWriter.BackendPair::kernel).toList());
        for (ReportWriter.BackendPair p : pairs) {
            assertEquals("tornado", p.a());
            assertEquals("opencl", p.b());
            double scoreA = jmh.kernels().stream().filter(k -> k.params().get("backend").equals("tornado") && p.kernel().contains(k.params().get("op")))
                    .findFirst().orElseThrow().score();
            double scoreB = jmh.kernels().stream().filter(k -> k.params().get("backend").equals("opencl") && p.kernel().contains(k.params().get("op")))
                    .findFirst().orElseThrow().score();
            assertEquals(scoreA / scoreB, p.ratio(), 1e-9 * p.ratio(), "throughput ratio of " + p.kernel());
        }
        System.setProperty("java.awt.headless", "true");
        CliTestAccess.Result r = CliTestAccess.run("report", sample("jmh-backends.json").toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertNotNull(ImageIO.read(out.resolve("backends.png").toFile()), "backends.png decodes as PNG");
        String md = Files.readString(out.resolve("summary.md"));
        assertTrue(md.contains("| kernel | tornado ms/op | opencl ms/op | tornado ÷ opencl |"), md);
    }

    /**
     * Several models in several files: each bloomj result meets the llama.cpp result of its model,
     * found by parameter count (llama.cpp counts a tied embedding twice, so 0.56B meets "1B"), and a
     * model llama.cpp did not run gets no verdict.
     */
    @Test
    void verdictsPairEachModelWithItsOwnLlamaCppResult() throws IOException {
        Path llama = out.resolve("llama.jsonl"), small = out.resolve("bloomj-560m.jsonl"), big = out.resolve("bloomj-3b.jsonl");
        Files.writeString(llama, """
                {"model_type":"bloom 3B BF16","model_n_params":3644599296,"n_prompt":0,"n_gen":16,"avg_ts":3.5,"stddev_ts":0.1}
                {"model_type":"bloom 1B BF16","model_n_params":816119808,"n_prompt":0,"n_gen":16,"avg_ts":18.0,"stddev_ts":0.2}
                """);
        Files.writeString(small, """
                {"test":"tg16","model_type":"bloom 0.56B BF16","model_n_params":559214592,"avg_ts":22.0,"stddev_ts":0.3,"jvm":"x"}
                """);
        Files.writeString(big, """
                {"test":"tg16","model_type":"bloom 3.00B BF16","model_n_params":3002557440,"avg_ts":5.1,"stddev_ts":0.1,"jvm":"x"}
                {"test":"tg16","model_type":"bloom 30.0B BF16","model_n_params":30025574400,"avg_ts":0.5,"stddev_ts":0.1,"jvm":"x"}
                """);
        List<String> verdicts = ReportWriter.verdicts(List.of(ResultSet.read(llama), ResultSet.read(small), ResultSet.read(big)));
        assertEquals(List.of("tg16 bloom 0.56B BF16: 1.22x llama.cpp (22.00 vs 18.00 t/s)", "tg16 bloom 3.00B BF16: 1.46x llama.cpp (5.10 vs 3.50 t/s)"),
                verdicts);
    }

    /**
     * llama-bench's JSON (no test field: pp/tg made from n_prompt and n_gen) next to bloomj's: one
     * verdict line per common test, bloomj ÷ llama.cpp, leading the page, and the comparison chart.
     */
    @Test
    void llamaBenchResultsAreComparedTestByTestWithAVerdict() throws IOException {
        ResultSet llama = ResultSet.read(sample("llama-bench.json"));
        assertEquals(List.of("pp32", "tg16"), llama.throughputs().stream().map(ResultSet.Throughput::test).toList());
        assertTrue(llama.throughputs().stream().allMatch(t -> t.engine().equals("llama.cpp")));
        ResultSet bloomj = ResultSet.read(sample("bench-cpu.json"));
        assertTrue(bloomj.throughputs().stream().allMatch(t -> t.engine().equals("bloomj")));
        List<String> verdicts = ReportWriter.verdicts(List.of(llama, bloomj));
        assertEquals(2, verdicts.size(), verdicts.toString());
        double tg = bloomj.throughputs().get(1).tokensPerSecond() / 400.0;
        assertTrue(verdicts.get(1).startsWith(String.format(java.util.Locale.ROOT, "tg16 bloom 0.00B BF16: %.2fx llama.cpp", tg)), verdicts.get(1));
        assertTrue(bloomj.throughputs().get(1).rooflineTokensPerSecond() > 0, "decode roofline from the probe and the weights' size");
        System.setProperty("java.awt.headless", "true");
        CliTestAccess.Result r = CliTestAccess.run("report", sample("llama-bench.json").toString(), sample("bench-cpu.json").toString(),
                "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.indexOf("class=\"verdicts\"") < html.indexOf("<figure"), "the verdicts lead the page");
        assertTrue(html.contains("llama.cpp (") && html.contains("data-chart=\"comparison.png\""), "verdicts and the side-by-side chart");
    }

    @Test
    void aFileThatIsNotAResultIsRefused() throws IOException {
        Path bad = out.resolve("bad.json");
        Files.writeString(bad, "[{\"hello\": 1}]");
        assertThrows(CheckpointException.class, () -> ResultSet.read(bad));
        Files.writeString(bad, "not json");
        assertTrue(assertThrows(CheckpointException.class, () -> ResultSet.read(bad)).getMessage().contains("JSON expected"));
    }
}
