package io.bloomj.compute;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels folder mirrors the op list: every op kind has its kernel file (named after it), and
 * every kernel file is an op's or the shared prelude. A backend cannot claim an op it has no kernel for.
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

    private static String kindOf(Class<?> opClass) {
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
