package io.bloomj.compute;

import io.bloomj.InvalidInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** The backend providers on the class path, in the order their jars list them (cpu, opencl, cuda, then others). */
public final class Backends {
    private static volatile List<BackendProvider> providers;

    private Backends() {}

    /** Every provider found through {@link ServiceLoader}. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            List<BackendProvider> found = new ArrayList<>();
            ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(found::add);
            providers = p = List.copyOf(found);
        }
        return p;
    }

    /** Their names, for messages and option help. */
    public static List<String> names() {
        return providers().stream().map(BackendProvider::name).toList();
    }

    /** The provider called {@code name}, or an {@link InvalidInputException} listing those that exist. */
    public static BackendProvider provider(String name) {
        for (BackendProvider p : providers()) if (p.name().equals(name)) return p;
        throw new InvalidInputException("unknown backend '" + name + "'; available: " + String.join(", ", names()));
    }

    /** Opens backend {@code name} with {@code options}. */
    public static Backend open(String name, BackendOptions options) {
        return provider(name).open(options);
    }

    /** Threads a CPU backend uses when none is configured: every core this JVM may use. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }
}
