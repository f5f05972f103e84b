package io.bloomj.compute;

import java.util.List;

/**
 * Finds and opens one kind of backend. Implementations are listed in
 * {@code META-INF/services/io.bloomj.compute.BackendProvider} and found with {@link java.util.ServiceLoader}
 * (see {@link Backends}), so the API and the CLI import no backend class and a backend shipped in
 * another jar on the class path appears in {@code bloomj devices} and {@code --backend NAME}.
 */
public interface BackendProvider {
    /** The {@code --backend} name: {@code cpu}, {@code opencl}, {@code cuda}. */
    String name();

    /** Null when this backend can run here; otherwise one sentence saying why not (no driver, no device). */
    String unavailableReason();

    /** Every device of this kind found here, usable or not; empty when the driver itself is missing. */
    List<DeviceInfo> devices();

    /**
     * Opens device {@link BackendOptions#device()}.
     *
     * @throws io.bloomj.BloomjException when it cannot run here, with the reason
     */
    Backend open(BackendOptions options);
}
