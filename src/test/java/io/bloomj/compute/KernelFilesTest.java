package io.bloomj.compute;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One name per op everywhere: every op kind has its CPU kernel class ({@code alibi_attention} ->
 * {@code AlibiAttentionKernel}), its kernel file in kernels/opencl and kernels/cuda (and every kernel
 * file is an op's or the shared prelude), and a JMH benchmark (OpBenchmark's {@code op} parameter).
 * A backend cannot claim an op it has no kernel for; ClSignaturesTest and CudaSignaturesTest check
 * that each file's kernels are declared for the host.
 */
class KernelFilesTest {
    /** Kinds a device backend runs with a kernel of another op's file. */
    private static final Set<String> SHARED = Set.of("argmax");

    @Test
    void everyOpHasAnOpenClKernelFileAndNoFileIsStray() throws IOException {
        Set<String> kinds = new TreeSet<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) kinds.add(kindOf(c));
        Set<String> files;
        try (Stream<Path> s = Files.list(Path.of("kernels/opencl"))) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cl"))
                    .map(n -> n.substring(0, n.length() - 3)).collect(Collectors.toCollection(TreeSet::new));
        }
        for (String kind : kinds) {
            assertTrue(files.contains(kind), "op '" + kind + "' has no kernels/opencl/" + kind + ".cl");
        }
        files.remove("common");
        files.removeAll(kinds);
        assertEquals(Set.of(), files, "kernel files that match no op");
        assertTrue(kinds.containsAll(SHARED));
    }

    @Test
    void everyOpHasACudaKernelFileAndNoFileIsStray() throws IOException {
        Set<String> kinds = new TreeSet<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) kinds.add(kindOf(c));
        Set<String> files;
        try (Stream<Path> s = Files.list(Path.of("kernels/cuda"))) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cu"))
                    .map(n -> n.substring(0, n.length() - 3)).collect(Collectors.toCollection(TreeSet::new));
        }
        for (String kind : kinds) assertTrue(files.contains(kind), "op '" + kind + "' has no kernels/cuda/" + kind + ".cu");
        files.removeAll(kinds);
        assertEquals(Set.of(), files, "CUDA kernel files that match no op");
    }

    @Test
    void everyOpRecordAndCpuKernelClassIsNamedAfterTheKind() {
        for (Class<?> c : Op.class.getPermittedSubclasses()) {
            String kind = kindOf(c);
            assertEquals(camel(kind), c.getSimpleName(), "the op record is named after its kind");
            String name = "io.bloomj.compute.cpu." + camel(kind) + "Kernel";
            try {
                Class.forName(name);
            } catch (ClassNotFoundException e) {
                throw new AssertionError("op '" + kind + "' has no CPU kernel class " + name);
            }
        }
    }

    @Test
    void everyOpHasAJmhBenchmark() throws IOException {
        String source = Files.readString(Path.of("benchmarks/src/main/java/io/bloomj/benchmarks/OpBenchmark.java"));
        Matcher m = Pattern.compile("@Param\\(\\{([^}]*)}\\)\\s*public String op;").matcher(source);
        assertTrue(m.find(), "OpBenchmark has no @Param list for 'op'");
        Set<String> benchmarked = new TreeSet<>();
        for (String v : m.group(1).split(",")) benchmarked.add(v.trim().replace("\"", ""));
        Set<String> kinds = new TreeSet<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) kinds.add(kindOf(c));
        assertEquals(kinds, benchmarked, "OpBenchmark's op parameter lists every op kind, and nothing else");
    }

    /** {@code alibi_attention} -> {@code AlibiAttention}. */
    static String camel(String kind) {
        StringBuilder b = new StringBuilder();
        for (String part : kind.split("_")) b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        return b.toString();
    }

    static String kindOf(Class<?> opClass) {
        // Each op's kind() is a constant; read it from an instance built with nulls/zeros.
        try {
            var ctor = opClass.getDeclaredConstructors()[0];
            Object[] args = new Object[ctor.getParameterCount()];
            Class<?>[] types = ctor.getParameterTypes();
            for (int i = 0; i < args.length; i++) {
                if (types[i] == int.class) args[i] = 1;
                else if (types[i] == float.class) args[i] = 1f;
                else if (types[i] == float[].class) args[i] = new float[] {1f};
                else if (types[i] == Buffer.class) args[i] = new Buffer("b", 1, 1);
            }
            return ((Op) ctor.newInstance(args)).kind();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(opClass + ": " + e, e);
        }
    }
}
