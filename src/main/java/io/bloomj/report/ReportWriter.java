package io.bloomj.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns result sets into a report folder: PNG charts (XChart), one self-contained HTML page (charts
 * embedded, tables) and a Markdown summary to paste into a paper or a pull request.
 *
 * <ul>
 *   <li>{@code kernels.png}: achieved GB/s per JMH kernel benchmark, with the measured bandwidth as the roofline;</li>
 *   <li>{@code throughput.png}: tokens/s per bench test and backend;</li>
 *   <li>{@code comparison.png}: with two or more result sets, tokens/s of each side by side (ratios in the tables).</li>
 * </ul>
 */
public final class ReportWriter {
    public static final int WIDTH = 1000;
    public static final int HEIGHT = 560;

    private ReportWriter() {}

    /** Writes the report into {@code out}; returns the chart files written. */
    public static List<Path> write(List<ResultSet> sets, Path out) throws IOException {
        Files.createDirectories(out);
        Map<String, CategoryChart> charts = new LinkedHashMap<>();
        List<ResultSet.Kernel> kernels = sets.stream().flatMap(s -> s.kernels().stream()).toList();
        List<ResultSet.Throughput> tps = sets.stream().flatMap(s -> s.throughputs().stream()).toList();
        if (kernels.stream().anyMatch(k -> !Double.isNaN(k.gbPerSecond()))) charts.put("kernels.png", kernelChart(kernels, roofline(sets)));
        if (!tps.isEmpty()) charts.put("throughput.png", throughputChart(tps));
        long withThroughput = sets.stream().filter(s -> !s.throughputs().isEmpty()).count();
        if (withThroughput >= 2) charts.put("comparison.png", comparisonChart(sets));
        List<BackendPair> pairs = backendPairs(kernels);
        if (!pairs.isEmpty()) charts.put("backends.png", backendChart(pairs));
        List<Path> files = new ArrayList<>();
        Map<String, byte[]> png = new LinkedHashMap<>();
        for (Map.Entry<String, CategoryChart> e : charts.entrySet()) {
            Path file = out.resolve(e.getKey());
            BitmapEncoder.saveBitmap(e.getValue(), file.toString(), BitmapEncoder.BitmapFormat.PNG);
            files.add(file);
            png.put(e.getKey(), Files.readAllBytes(file));
        }
        String markdown = markdown(sets);
        Files.writeString(out.resolve("summary.md"), markdown);
        Files.writeString(out.resolve("report.html"), html(sets, png, markdown));
        return files;
    }

    /** The bandwidth to draw as the roofline: the JMH bandwidth benchmark (first one), else a bench file's probe. */
    static double roofline(List<ResultSet> sets) {
        for (ResultSet s : sets) {
            for (ResultSet.Kernel k : s.kernels()) if (k.benchmark().toLowerCase(Locale.ROOT).contains("bandwidth")) return k.gbPerSecond();
        }
        for (ResultSet s : sets) {
            for (ResultSet.Throughput t : s.throughputs()) if (!Double.isNaN(t.bandwidthGbPerSecond())) return t.bandwidthGbPerSecond();
        }
        return Double.NaN;
    }

    private static CategoryChart base(String title, String x, String y) {
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setXAxisLabelRotation(30);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        return c;
    }

    private static CategoryChart kernelChart(List<ResultSet.Kernel> kernels, double roofline) {
        CategoryChart c = base("Kernels: achieved weight bandwidth", "benchmark", "GB/s");
        List<String> labels = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (ResultSet.Kernel k : kernels) {
            if (Double.isNaN(k.gbPerSecond())) continue;
            labels.add(k.label());
            values.add(k.gbPerSecond());
        }
        c.addSeries("achieved GB/s", labels, values);
        if (!Double.isNaN(roofline)) {
            CategorySeries line = c.addSeries(String.format(Locale.ROOT, "measured bandwidth %.1f GB/s", roofline), labels,
                    labels.stream().map(l -> roofline).toList());
            line.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        }
        return c;
    }

    private static CategoryChart throughputChart(List<ResultSet.Throughput> tps) {
        CategoryChart c = base("Throughput", "test", "tokens/s");
        Set<String> tests = new LinkedHashSet<>();
        for (ResultSet.Throughput t : tps) tests.add(t.test());
        Map<String, Map<String, Double>> byBackend = new LinkedHashMap<>();
        for (ResultSet.Throughput t : tps) byBackend.computeIfAbsent(t.backend() + " " + t.model(), k -> new LinkedHashMap<>()).put(t.test(), t.tokensPerSecond());
        List<String> x = new ArrayList<>(tests);
        for (Map.Entry<String, Map<String, Double>> e : byBackend.entrySet()) {
            c.addSeries(e.getKey(), x, x.stream().map(t -> e.getValue().getOrDefault(t, 0.0)).toList());
        }
        return c;
    }

    /** Tokens/s side by side per test, one series per result file, error bars from the samples' deviation, and the decode roofline from bloomj's probe. */
    private static CategoryChart comparisonChart(List<ResultSet> sets) {
        CategoryChart c = base("Comparison", "test", "tokens/s");
        c.getStyler().setErrorBarsColor(java.awt.Color.DARK_GRAY);
        Set<String> tests = new LinkedHashSet<>();
        for (ResultSet s : sets) for (ResultSet.Throughput t : s.throughputs()) tests.add(t.test());
        List<String> x = new ArrayList<>(tests);
        Map<String, Double> roofline = new LinkedHashMap<>();
        for (ResultSet s : sets) {
            if (s.throughputs().isEmpty()) continue;
            Map<String, ResultSet.Throughput> v = new LinkedHashMap<>();
            for (ResultSet.Throughput t : s.throughputs()) {
                v.putIfAbsent(t.test(), t);
                if (!Double.isNaN(t.rooflineTokensPerSecond())) roofline.putIfAbsent(t.test(), t.rooflineTokensPerSecond());
            }
            c.addSeries(s.name(), x, x.stream().map(t -> v.containsKey(t) ? v.get(t).tokensPerSecond() : 0.0).toList(),
                    x.stream().map(t -> v.containsKey(t) && !Double.isNaN(v.get(t).stddev()) ? v.get(t).stddev() : 0.0).toList());
        }
        // A bar beside each decode test (none for prefill, which the weights' size does not bound).
        if (!roofline.isEmpty()) c.addSeries("decode roofline (probe bandwidth / weight bytes)", x, x.stream().map(t -> roofline.getOrDefault(t, 0.0)).toList());
        return c;
    }

    /**
     * One line per model and test run by both engines, bloomj ÷ llama.cpp ("tg16 bloom 3B: 1.04x
     * llama.cpp"), over every result file given: a bloomj result (the first for its model and test)
     * against the llama.cpp result of the same test whose model is nearest in parameter count, within
     * 2x. The counts differ for the same weights: a GGUF of a tied model holds the embedding twice
     * (bloom-560m is "0.56B" to bloomj and "1B", 816 M parameters, to llama.cpp), so names cannot be
     * matched. Empty without a llama-bench file and a bloomj one.
     */
    static List<String> verdicts(List<ResultSet> sets) {
        List<ResultSet.Throughput> llama = new ArrayList<>(), bloomj = new ArrayList<>();
        for (ResultSet s : sets) {
            for (ResultSet.Throughput t : s.throughputs()) (t.engine().equals("llama.cpp") ? llama : bloomj).add(t);
        }
        List<String> out = new ArrayList<>();
        java.util.Set<String> done = new java.util.HashSet<>();
        for (ResultSet.Throughput b : bloomj) {
            if (!done.add(b.model() + " " + b.test())) continue;
            ResultSet.Throughput best = null;
            double bestDistance = Math.log(2);
            for (ResultSet.Throughput l : llama) {
                if (!l.test().equals(b.test())) continue;
                double d = b.params() > 0 && l.params() > 0 ? Math.abs(Math.log(l.params() / b.params())) : 0;
                if (d <= bestDistance && (best == null || d < bestDistance)) {
                    best = l;
                    bestDistance = d;
                }
            }
            if (best != null) {
                out.add(String.format(Locale.ROOT, "%s %s: %.2fx llama.cpp (%.2f vs %.2f t/s)", b.test(), b.model(),
                        b.tokensPerSecond() / best.tokensPerSecond(), b.tokensPerSecond(), best.tokensPerSecond()));
            }
        }
        return out;
    }

    /**
     * One JMH benchmark run on two backends (its {@code backend} parameter the only difference): the
     * first backend named in the results against the second, as throughput a ÷ b. This is how
     * TornadoVM's generated kernels are compared with the hand-written ones (tornado/bench-kernels.sh).
     */
    record BackendPair(String kernel, String a, String b, double msA, double msB) {
        double ratio() {
            return msB / msA;
        }
    }

    static List<BackendPair> backendPairs(List<ResultSet.Kernel> kernels) {
        List<String> backends = new ArrayList<>();
        for (ResultSet.Kernel k : kernels) {
            String b = k.params().get("backend");
            if (b != null && !backends.contains(b)) backends.add(b);
        }
        if (backends.size() < 2) return List.of();
        String a = backends.get(0), b = backends.get(1);
        Map<String, Double> msA = new LinkedHashMap<>(), msB = new LinkedHashMap<>();
        for (ResultSet.Kernel k : kernels) {
            String backend = k.params().get("backend");
            if (backend == null) continue;
            Map<String, String> rest = new java.util.TreeMap<>(k.params());
            rest.remove("backend");
            StringBuilder key = new StringBuilder(k.benchmark().substring(k.benchmark().lastIndexOf('.', k.benchmark().lastIndexOf('.') - 1) + 1)
                    .replace("Benchmark.", "."));
            rest.forEach((n, v) -> key.append(' ').append(v));
            if (backend.equals(a)) msA.put(key.toString(), k.msPerOp());
            else if (backend.equals(b)) msB.put(key.toString(), k.msPerOp());
        }
        List<BackendPair> out = new ArrayList<>();
        msA.forEach((key, ms) -> {
            Double other = msB.get(key);
            if (other != null && ms > 0 && other > 0) out.add(new BackendPair(key, a, b, ms, other));
        });
        return out;
    }

    private static CategoryChart backendChart(List<BackendPair> pairs) {
        BackendPair first = pairs.getFirst();
        CategoryChart c = base("Kernels: " + first.a() + " ÷ " + first.b() + " (throughput ratio, same device)", "kernel", "ratio");
        List<String> labels = pairs.stream().map(BackendPair::kernel).toList();
        c.addSeries(first.a() + " ÷ " + first.b(), labels, pairs.stream().map(BackendPair::ratio).toList());
        CategorySeries parity = c.addSeries("parity", labels, labels.stream().map(l -> 1.0).toList());
        parity.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        return c;
    }

    static String markdown(List<ResultSet> sets) {
        StringBuilder sb = new StringBuilder("# bloomj benchmark summary\n\n");
        List<String> verdicts = verdicts(sets);
        for (String v : verdicts) sb.append("- ").append(v).append('\n');
        if (!verdicts.isEmpty()) sb.append('\n');
        List<ResultSet.Throughput> tps = sets.stream().flatMap(s -> s.throughputs().stream()).toList();
        if (!tps.isEmpty()) {
            sb.append("| results | model | backend | test | t/s | weights GB/s | of bandwidth |\n| --- | --- | --- | --- | ---: | ---: | ---: |\n");
            for (ResultSet s : sets) {
                for (ResultSet.Throughput t : s.throughputs()) {
                    sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f ± %.2f | %s | %s |%n", s.name(), t.model(), t.backend(),
                            t.test(), t.tokensPerSecond(), t.stddev(), fmt("%.1f", t.weightGbPerSecond()),
                            Double.isNaN(t.bandwidthFraction()) ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * t.bandwidthFraction())));
                }
            }
            List<ResultSet> withTp = sets.stream().filter(s -> !s.throughputs().isEmpty()).toList();
            if (withTp.size() >= 2) {
                ResultSet a = withTp.get(0), b = withTp.get(1);
                sb.append("\n| test | ").append(a.name()).append(" t/s | ").append(b.name()).append(" t/s | ratio |\n| --- | ---: | ---: | ---: |\n");
                for (ResultSet.Throughput ta : a.throughputs()) {
                    for (ResultSet.Throughput tb : b.throughputs()) {
                        if (tb.test().equals(ta.test())) {
                            sb.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2fx |%n", ta.test(), ta.tokensPerSecond(),
                                    tb.tokensPerSecond(), tb.tokensPerSecond() / ta.tokensPerSecond()));
                        }
                    }
                }
            }
        }
        List<ResultSet.Kernel> kernels = sets.stream().flatMap(s -> s.kernels().stream()).toList();
        List<BackendPair> pairs = backendPairs(kernels);
        if (!pairs.isEmpty()) {
            BackendPair first = pairs.getFirst();
            sb.append("\n| kernel | ").append(first.a()).append(" ms/op | ").append(first.b()).append(" ms/op | ").append(first.a())
                    .append(" ÷ ").append(first.b()).append(" |\n| --- | ---: | ---: | ---: |\n");
            for (BackendPair p : pairs) {
                sb.append(String.format(Locale.ROOT, "| %s | %.4g | %.4g | %.2fx |%n", p.kernel(), p.msA(), p.msB(), p.ratio()));
            }
        }
        if (!kernels.isEmpty()) {
            sb.append("\n| benchmark | ms/op | score | error | unit | GB/s | GFLOP/s |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |\n");
            for (ResultSet.Kernel k : kernels) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.4g | %s | %s | %s | %s |%n", k.label(), fmt("%.4g", k.msPerOp()),
                        k.score(), fmt("%.2g", k.error()), k.unit(), fmt("%.1f", k.gbPerSecond()), k.gflops() > 0 ? fmt("%.1f", k.gflops()) : ""));
            }
        }
        return sb.toString();
    }

    private static String fmt(String f, double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, f, v);
    }

    private static String html(List<ResultSet> sets, Map<String, byte[]> png, String markdown) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bloomj benchmark report</title>\n"
                + "<style>body{font-family:sans-serif;max-width:1040px;margin:2em auto}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}</style></head><body>\n"
                + "<h1>bloomj benchmark report</h1>\n<p>Results: ");
        for (ResultSet s : sets) sb.append(escape(s.name())).append(' ');
        sb.append("</p>\n");
        List<String> verdicts = verdicts(sets);
        if (!verdicts.isEmpty()) {
            sb.append("<ul class=\"verdicts\">\n");
            for (String v : verdicts) sb.append("<li><b>").append(escape(v)).append("</b></li>\n");
            sb.append("</ul>\n");
        }
        for (Map.Entry<String, byte[]> e : png.entrySet()) {
            sb.append("<figure><img alt=\"").append(e.getKey()).append("\" data-chart=\"").append(e.getKey())
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(e.getValue()))
                    .append("\"><figcaption>").append(e.getKey()).append("</figcaption></figure>\n");
        }
        sb.append(tables(markdown)).append("</body></html>\n");
        return sb.toString();
    }

    /** The Markdown tables as HTML tables (the page needs no Markdown renderer). */
    private static String tables(String markdown) {
        StringBuilder sb = new StringBuilder();
        boolean inTable = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("|")) {
                if (line.startsWith("| ---")) continue;
                if (!inTable) {
                    sb.append("<table>\n");
                    inTable = true;
                }
                sb.append("<tr>");
                for (String cell : line.substring(1, line.length() - 1).split("\\|")) sb.append("<td>").append(escape(cell.strip())).append("</td>");
                sb.append("</tr>\n");
            } else {
                if (inTable) {
                    sb.append("</table>\n");
                    inTable = false;
                }
                if (line.startsWith("# ")) sb.append("<h2>").append(escape(line.substring(2))).append("</h2>\n");
            }
        }
        if (inTable) sb.append("</table>\n");
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
