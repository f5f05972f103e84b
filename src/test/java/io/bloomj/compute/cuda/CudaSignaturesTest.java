package io.bloomj.compute.cuda;

import io.bloomj.compute.device.KernelSignature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host's declarations of the CUDA kernels ({@link CudaSignatures}) agree with kernels/cuda:
 * every {@code extern "C" __global__} function of every .cu file is declared, with the same
 * parameter names and kinds in the same order; and, where nvcc built the PTX, with the parameter
 * count and sizes of the compiled entry (PTX keeps no names).
 */
class CudaSignaturesTest {
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(([^)]*)\\)", Pattern.DOTALL);

    /** Each kernel's parameters as "kind name", parsed from the .cu source. */
    static Map<String, List<String>> sourceKernels(Path cu) throws IOException {
        String src = Files.readString(cu).replaceAll("/\\*.*?\\*/", "");
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = KERNEL.matcher(src);
        while (m.find()) {
            List<String> params = new ArrayList<>();
            for (String p : m.group(2).split(",")) {
                String decl = p.replaceAll("__restrict__|const", " ").trim().replaceAll("\\s+", " ");
                String name = decl.substring(decl.lastIndexOf(' ') + 1).replace("*", "");
                String type = decl.substring(0, decl.lastIndexOf(' ')).trim();
                String kind = decl.contains("*") ? "buffer" : switch (type) {
                    case "int" -> "int";
                    case "float" -> "float";
                    case "unsigned long long", "long long" -> "long";
                    default -> throw new AssertionError(cu + ": parameter type '" + type + "' has no host kind");
                };
                params.add(kind + " " + name);
            }
            out.put(m.group(1), params);
        }
        return out;
    }

    static List<String> declared(KernelSignature sig) {
        return sig.params().stream().map(p -> p.type().name().toLowerCase(Locale.ROOT) + " " + p.name()).toList();
    }

    @Test
    void everyKernelIsDeclaredWithTheSourceParameters() throws IOException {
        int checked = 0;
        try (var files = Files.list(Path.of("kernels/cuda"))) {
            for (Path cu : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                String module = cu.getFileName().toString().replace(".cu", "");
                List<KernelSignature> sigs = CudaSignatures.BY_FILE.get(module);
                assertNotNull(sigs, cu + " has no entry in CudaSignatures.BY_FILE");
                Map<String, List<String>> kernels = sourceKernels(cu);
                assertEquals(new TreeSet<>(kernels.keySet()), new TreeSet<>(sigs.stream().map(KernelSignature::function).toList()),
                        cu + ": kernels in the source vs declared for the host");
                for (KernelSignature sig : sigs) {
                    assertEquals(kernels.get(sig.function()), declared(sig), cu + " " + sig.function() + ": source vs CudaSignatures");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 15, "only " + checked + " kernels compared");
    }

    @Test
    void thePtxEntriesTakeTheDeclaredParameterSizes() throws IOException {
        Path ptxDir = Path.of("target/classes/kernels/cuda");
        Assumptions.assumeTrue(Files.isRegularFile(ptxDir.resolve("matmul.BF16.sm80.ptx")), "no PTX was built (no nvcc)");
        int checked = 0;
        for (var e : CudaSignatures.BY_FILE.entrySet()) {
            String dtype = List.of("embedding", "matmul", "lm_head").contains(e.getKey()) ? "BF16" : "F32";
            String ptx = Files.readString(ptxDir.resolve(e.getKey() + "." + dtype + ".sm90.ptx"));
            for (KernelSignature sig : e.getValue()) {
                Matcher m = Pattern.compile("\\.entry " + sig.function() + "\\(([^)]*)\\)", Pattern.DOTALL).matcher(ptx);
                assertTrue(m.find(), e.getKey() + " PTX has no entry " + sig.function());
                List<String> sizes = new ArrayList<>();
                Matcher p = Pattern.compile("\\.param \\.(\\w+) ").matcher(m.group(1));
                while (p.find()) sizes.add(p.group(1));
                List<String> expected = sig.params().stream().map(q -> switch (q.type()) {
                    case BUFFER, LONG -> "u64";
                    case INT -> "u32";
                    case FLOAT -> "f32";
                    case LOCAL -> throw new AssertionError("CUDA kernels take no __local parameters");
                }).toList();
                assertEquals(expected, sizes, sig.function() + ": PTX parameter types vs CudaSignatures");
                checked++;
            }
        }
        assertTrue(checked >= 15, "only " + checked + " entries compared");
    }
}
