package io.bloomj.compute.opencl;

import io.bloomj.compute.device.KernelSignature;
import io.bloomj.testing.TestBackends;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host's declarations of the OpenCL kernels ({@link ClSignatures}) agree with the kernels as
 * the device compiles them: every __kernel of every file is declared, and creating each one (which
 * compares names and kinds through clGetKernelArgInfo) succeeds for every weight dtype; a
 * declaration that disagrees is refused with both parameter lists.
 */
class ClSignaturesTest {
    private static final Pattern KERNEL = Pattern.compile("__kernel void (\\w+)\\(");

    @BeforeEach
    void requireOpenCl() {
        TestBackends.assumeOpenCl();
    }

    @Test
    void everyKernelOfEveryFileIsDeclared() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("kernels/opencl"))) {
            files = s.filter(p -> p.toString().endsWith(".cl") && !p.getFileName().toString().equals("common.cl")).sorted().toList();
        }
        for (Path f : files) {
            Set<String> inSource = new TreeSet<>();
            Matcher m = KERNEL.matcher(Files.readString(f));
            while (m.find()) inSource.add(m.group(1));
            List<KernelSignature> declared = ClSignatures.BY_FILE.get(f.getFileName().toString());
            assertNotNull(declared, f + " has no entry in ClSignatures.BY_FILE");
            Set<String> names = new TreeSet<>();
            for (KernelSignature s : declared) names.add(s.function());
            assertEquals(inSource, names, f + ": kernels in the source vs declared for the host");
        }
    }

    @Test
    void everyDeclarationMatchesTheCompiledKernelInEveryDtype() {
        try (ClContext ctx = new ClContext(OpenCl.load().orElseThrow(), ClDevice.discover().getFirst());
             ClPrograms programs = new ClPrograms(ctx, null)) {
            int checked = 0;
            for (var e : ClSignatures.BY_FILE.entrySet()) {
                for (String dtype : List.of("BF16", "F16", "F32", "Q8_0")) {
                    String options = "-cl-std=CL1.2 -cl-kernel-arg-info -DW_" + dtype + " -DHD=8";
                    for (KernelSignature sig : e.getValue()) {
                        try (ClKernel k = new ClKernel(ctx, programs.program(e.getKey(), options), sig)) {
                            List<String> compiled = k.compiledParams();
                            if (compiled != null) {
                                assertEquals(sig.size(), compiled.size(), sig.function());
                                checked++;
                            }
                        }
                    }
                }
            }
            assertTrue(checked > 0, "the driver reported no argument info: nothing was compared");
        }
    }

    /** Kernels built from a cached binary (every start after the first) are still checked. */
    @Test
    void argumentNamesSurviveTheBinaryCache(@org.junit.jupiter.api.io.TempDir Path cache) {
        ClDevice device = ClDevice.discover().getFirst();
        for (int start = 0; start < 2; start++) {
            try (ClContext ctx = new ClContext(OpenCl.load().orElseThrow(), device); ClPrograms programs = new ClPrograms(ctx, cache);
                 ClKernel k = new ClKernel(ctx, programs.program("gelu.cl", "-cl-std=CL1.2 -cl-kernel-arg-info"), ClSignatures.GELU)) {
                assertEquals(List.of("buffer x", "buffer y", "int n"), k.compiledParams(), "start " + start);
            }
        }
    }

    @Test
    void aDeclarationThatDisagreesIsRefusedWithBothLists() {
        KernelSignature swapped = KernelSignature.of("gelu", "buffer y, buffer x, int n");
        try (ClContext ctx = new ClContext(OpenCl.load().orElseThrow(), ClDevice.discover().getFirst());
             ClPrograms programs = new ClPrograms(ctx, null)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new ClKernel(ctx, programs.program("gelu.cl", "-cl-std=CL1.2 -cl-kernel-arg-info"), swapped).close());
            assertTrue(e.getMessage().contains("takes (buffer x, buffer y, int n)"), e.getMessage());
            assertTrue(e.getMessage().contains("declares (buffer y, buffer x, int n)"), e.getMessage());
        }
    }
}
