package io.bloomj.compute;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The intermediates ({@link Graph#intermediates()}) a backend's plans share, each allocated by the
 * first plan that needs it and freed when the last one lets it go. Steps of one backend never
 * overlap, and an intermediate's contents never outlive a step, so sharing is safe; a second session
 * then costs its KV cache and results only. Guarded by the backend (callers synchronize).
 *
 * @param <M> the memory of one buffer: a {@code float[]} on the CPU, device memory elsewhere
 */
public final class SharedIntermediates<M> {
    private record Entry<M>(M memory, int users) {}

    private final Map<Buffer, Entry<M>> entries = new HashMap<>();

    /** Whether {@code b} is already held by some plan (a new plan would not allocate it). */
    public boolean holds(Buffer b) {
        return entries.containsKey(b);
    }

    /** The memory of {@code b}, allocated with {@code allocate} by the first plan that asks. */
    public M acquire(Buffer b, Function<Buffer, M> allocate) {
        Entry<M> e = entries.get(b);
        M memory = e == null ? allocate.apply(b) : e.memory();
        entries.put(b, new Entry<>(memory, e == null ? 1 : e.users() + 1));
        return memory;
    }

    /** A plan is done with {@code b}; the last one hands its memory to {@code free}. */
    public void release(Buffer b, Consumer<M> free) {
        Entry<M> e = entries.get(b);
        if (e == null) return;
        if (e.users() == 1) {
            entries.remove(b);
            free.accept(e.memory());
        } else {
            entries.put(b, new Entry<>(e.memory(), e.users() - 1));
        }
    }
}
