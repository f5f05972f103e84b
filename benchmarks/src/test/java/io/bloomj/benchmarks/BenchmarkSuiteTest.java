package io.bloomj.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bloomj.api.Bloom;
import io.bloomj.compute.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The suite is really built (annotation processing ran) and a short run produces valid JMH JSON. No timing is asserted. */
class BenchmarkSuiteTest {
    @TempDir
    Path tmp;

    @Test
    void theBenchmarkListIsNotEmpty() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "no META-INF/BenchmarkList: the JMH annotation processor did not run");
            String list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // entries name the generated class of each benchmark method: {Class}_{method}_jmhTest
            for (String b : List.of("KernelBenchmark_step", "AttentionBenchmark_decode", "PrefillGemmBenchmark_gemm",
                    "BandwidthBenchmark_stream", "OpBenchmark_step", "ModelBenchmark_decodeStep", "ModelBenchmark_prefill128")) {
                assertTrue(list.contains(b), b + " missing from the benchmark list");
            }
        }
    }

    @Test
    void everyBackendNameIsKnown() {
        // cpu opens; a device backend either opens or says why it cannot run here, never "unknown backend"
        for (String name : Bloom.backends()) {
            try (Backend be = Backends.open(name, 1)) {
                assertNotNull(be.description());
            } catch (RuntimeException e) {
                assertTrue(!name.equals("cpu") && !e.getMessage().contains("unknown backend"), name + ": " + e.getMessage());
            }
        }
        try (Backend be = Backends.open("cpu-inplace", 1)) {
            assertTrue(be.description().contains("bf16 matrices read in place"), be.description());
        }
    }

    @Test
    void aShortRunOnTheTinyShapeWritesJmhJson() throws RunnerException, IOException {
        Path out = tmp.resolve("jmh.json");
        Options opt = new OptionsBuilder()
                .include(ModelBenchmark.class.getSimpleName() + ".decodeStep")
                .param("shape", "tiny").param("backend", "cpu").param("threads", "1")
                .warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                .forks(0).shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON).result(out.toString())
                .build();
        new Runner(opt).run();
        JsonNode json = new ObjectMapper().readTree(Files.readString(out));
        assertEquals(1, json.size());
        JsonNode r = json.get(0);
        assertTrue(r.get("benchmark").asText().endsWith("ModelBenchmark.decodeStep"));
        assertEquals("tiny", r.get("params").get("shape").asText());
        assertTrue(r.get("primaryMetric").get("score").asDouble() > 0);
        assertTrue(r.get("secondaryMetrics").has("bytes"), "the weight-bytes rate is reported: " + r.get("secondaryMetrics"));
    }
}
