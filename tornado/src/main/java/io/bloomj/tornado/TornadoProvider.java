package io.bloomj.tornado;

import io.bloomj.compute.Backend;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.BackendProvider;
import io.bloomj.compute.DeviceInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The devices of every TornadoVM driver in the SDK on the module path (OpenCL, PTX, SPIR-V), numbered in that order. */
public final class TornadoProvider implements BackendProvider {
    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public String unavailableReason() {
        return TornadoDevices.unavailableReason();
    }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        if (TornadoDevices.unavailableReason() != null) return out;
        List<TornadoDevices.Found> all = TornadoDevices.all();
        for (int i = 0; i < all.size(); i++) {
            TornadoDevices.Found d = all.get(i);
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", d.name());
            f.put("driver", d.driver());
            f.put("type", d.type());
            f.put("global_memory_bytes", d.globalMemory());
            f.put("max_allocation_bytes", d.maxAllocation());
            List<String> details = List.of(String.format(Locale.ROOT, "TornadoVM %s driver, %s, global memory %d MiB, max allocation %d MiB",
                    d.driver(), d.type(), d.globalMemory() >> 20, d.maxAllocation() >> 20));
            out.add(new DeviceInfo("tornado", i, d.name(), true, null, details, f));
        }
        return out;
    }

    @Override
    public Backend open(BackendOptions options) {
        return TornadoVmBackend.open(options.device(), options.progress());
    }
}
