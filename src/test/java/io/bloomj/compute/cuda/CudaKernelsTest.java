package io.bloomj.compute.cuda;

import io.bloomj.BloomjException;
import io.bloomj.api.Bloom;
import io.bloomj.api.LoadOptions;
import io.bloomj.testing.TestBackends;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What can be checked without a GPU: every kernel in kernels/cuda was compiled by nvcc to PTX for
 * compute_80 and compute_90 (and each dtype the kernel reads weights in) by the build, the PTX holds
 * an entry for every {@code extern "C" __global__} function of the source, and the backend refuses
 * clearly where there is no GPU.
 */
class CudaKernelsTest {
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");
    private static final Path PTX = Path.of("target/classes/kernels/cuda");

    @TempDir
    Path tmp;

    static boolean nvccPresent() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/local/cuda/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) return true;
        }
        return false;
    }

    @Test
    void everyKernelCompiledToPtxForBothArchitectures() throws IOException {
        Assumptions.assumeTrue(nvccPresent(), "CUDA PTX check skipped: no nvcc on this machine (the build made no PTX)");
        List<Path> sources;
        try (Stream<Path> s = Files.list(Path.of("kernels/cuda"))) {
            sources = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        assertTrue(sources.size() >= 9, "kernel sources: " + sources);
        for (Path cu : sources) {
            String name = cu.getFileName().toString().replace(".cu", "");
            String src = Files.readString(cu);
            List<String> dtypes = List.of("embedding", "matmul", "lm_head").contains(name) ? List.of("BF16", "F16", "F32", "Q8_0") : List.of("F32");
            for (String dt : dtypes) {
                for (String arch : List.of("sm80", "sm90")) {
                    Path ptx = PTX.resolve(name + "." + dt + "." + arch + ".ptx");
                    assertTrue(Files.isRegularFile(ptx), ptx + " was not built");
                    String text = Files.readString(ptx);
                    assertTrue(text.contains(".target sm_" + arch.substring(2)), ptx + " targets " + arch);
                    Matcher m = KERNEL.matcher(src);
                    while (m.find()) {
                        String kernel = m.group(1);
                        // the tensor-core GEMM exists only in the bf16 module
                        if (kernel.equals("matmul_gemm_tc") && !dt.equals("BF16")) continue;
                        assertTrue(text.contains(".entry " + kernel + "("), ptx + " has no entry " + kernel);
                    }
                }
            }
        }
    }

    @Test
    void withoutAGpuTheBackendSaysWhy() throws IOException {
        String why = CudaBackend.unavailableReason();
        Assumptions.assumeTrue(why != null, "a GPU is present: CudaModelParityTest covers the backend");
        TinyBloom.standard().writeTo(tmp);
        BloomjException e = assertThrows(BloomjException.class,
                () -> Bloom.load(tmp, LoadOptions.defaults().withBackend("cuda")).close());
        assertTrue(e.getMessage().startsWith("CUDA backend unavailable: ") && e.getMessage().contains(why), e.getMessage());
    }

    /** gpu-check.sh sets BLOOMJ_REQUIRE_CUDA=1 so that a GPU machine that cannot run CUDA fails instead of skipping. */
    @Test
    void theRequireFlagTurnsASkipIntoAFailureOnlyWhenAsked() {
        String why = "the CUDA driver reports no GPU";
        org.opentest4j.TestAbortedException skipped = assertThrows(org.opentest4j.TestAbortedException.class,
                () -> TestBackends.requireOrSkip("CUDA", why, false));
        assertTrue(skipped.getMessage().contains("CUDA tests skipped: " + why), skipped.getMessage());
        AssertionError failed = assertThrows(AssertionError.class, () -> TestBackends.requireOrSkip("CUDA", why, true));
        assertEquals("BLOOMJ_REQUIRE_CUDA=1 but CUDA is unavailable: " + why, failed.getMessage());
        TestBackends.requireOrSkip("CUDA", null, true);   // available: runs, whatever the flag
        TestBackends.requireOrSkip("CUDA", null, false);
    }
}
