package io.bloomj.cli;

import io.bloomj.compute.BackendProvider;
import io.bloomj.compute.Backends;
import io.bloomj.compute.DeviceInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List every backend and device, and whether bloomj can run on it (--backend B --device N picks one).")
final class DevicesCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object per device, one per line.")
    boolean json;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (BackendProvider provider : Backends.providers()) {
            String why = provider.unavailableReason();
            List<DeviceInfo> devices = provider.devices();
            if (devices.isEmpty() && !json) {
                out.printf(Locale.ROOT, "%-7s     unavailable: %s%n", provider.name(), why == null ? "no device found" : why);
            }
            for (DeviceInfo d : devices) {
                boolean usable = d.usable() && why == null;
                String reason = !d.usable() ? d.unusableReason() : why;
                if (json) {
                    try (Json j = new Json(out)) {
                        j.field("backend", d.backend()).field("device", d.index());
                        for (Map.Entry<String, Object> f : d.fields().entrySet()) j.field(f.getKey(), f.getValue());
                        j.field("usable", usable).field("unusable_reason", usable ? "" : reason);
                    }
                } else {
                    out.printf(Locale.ROOT, "%-7s #%d  %s  [%s]%n", d.backend(), d.index(), d.name(), usable ? "usable" : "not usable: " + reason);
                    for (String line : d.details()) out.println("            " + line);
                }
            }
        }
        return 0;
    }
}
