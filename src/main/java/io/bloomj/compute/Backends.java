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

    /** More threads than this many per core only add switching (the team spins between loops): refused. */
    public static final int MAX_THREADS_PER_CORE = 4;

    /**
     * A thread count as users give it: 0 means every core; negative, or far beyond the cores this
     * JVM may use, is refused with a message (thousands of threads would take minutes to answer).
     */
    public static int threads(int requested) {
        if (requested < 0) throw new InvalidInputException("threads must be 0 (all cores) or a positive count, got " + requested);
        int resolved = requested == 0 ? defaultThreads() : requested;
        checkThreads(resolved);
        return resolved;
    }

    /** Refuses a resolved count below 1 or above {@link #MAX_THREADS_PER_CORE} x the cores. */
    public static void checkThreads(int threads) {
        int cores = defaultThreads();
        if (threads < 1) throw new InvalidInputException("threads must be at least 1, got " + threads);
        if (threads > MAX_THREADS_PER_CORE * cores) {
            throw new InvalidInputException(threads + " threads is far beyond the " + cores + " core(s) this JVM may use (at most "
                    + MAX_THREADS_PER_CORE * cores + "); bloomj runs best with one thread per core (threads 0)");
        }
    }
}
