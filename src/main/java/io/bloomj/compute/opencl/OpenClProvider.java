package io.bloomj.compute.opencl;

import io.bloomj.compute.Backend;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.BackendProvider;
import io.bloomj.compute.DeviceInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** OpenCL devices of every platform the ICD loader knows; kernels styled for the device type. */
public final class OpenClProvider implements BackendProvider {
    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public String unavailableReason() {
        return OpenClBackend.unavailableReason();
    }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (ClDevice d : ClDevice.discover()) {
            String type = d.isGpu() ? "gpu" : d.isCpu() ? "cpu" : "other";
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", d.name());
            f.put("vendor", d.vendor());
            f.put("platform", d.platformName());
            f.put("driver", d.driverVersion());
            f.put("version", d.deviceVersion());
            f.put("opencl_c", d.openclCVersion());
            f.put("type", type);
            f.put("compute_units", d.computeUnits());
            f.put("global_memory_bytes", d.globalMemory());
            f.put("max_allocation_bytes", d.maxAllocation());
            f.put("local_memory_bytes", d.localMemory());
            List<String> details = List.of(
                    String.format(Locale.ROOT, "%s, %s", d.vendor(), type.toUpperCase(Locale.ROOT)),
                    String.format(Locale.ROOT, "platform %s, driver %s, %s, %s", d.platformName(), d.driverVersion(),
                            d.deviceVersion().trim(), d.openclCVersion().trim()),
                    String.format(Locale.ROOT, "%d compute units, global memory %d MiB, max allocation %d MiB, local memory %d KiB",
                            d.computeUnits(), d.globalMemory() >> 20, d.maxAllocation() >> 20, d.localMemory() >> 10));
            out.add(new DeviceInfo("opencl", d.index(), d.name(), d.usable(), d.whyNotUsable(), details, f));
        }
        return out;
    }

    @Override
    public Backend open(BackendOptions options) {
        return OpenClBackend.open(options.device(), KernelStyle.AUTO, options.progress());
    }
}
