package io.bloomj.compute;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One device a {@link BackendProvider} can open, as {@code bloomj devices} shows it.
 *
 * @param backend        the provider's name
 * @param index          the {@code --device} number
 * @param name           the device's name
 * @param usable         whether bloomj can run on it
 * @param unusableReason why not (empty when usable)
 * @param details        human-readable lines (driver, memory, compute units)
 * @param fields         the same facts for JSON output, in order, with stable snake_case keys
 */
public record DeviceInfo(String backend, int index, String name, boolean usable, String unusableReason, List<String> details,
                         Map<String, Object> fields) {
    public DeviceInfo {
        details = List.copyOf(details);
        fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
