package io.bloomj.compute.cuda;

import io.bloomj.compute.Backend;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.BackendProvider;
import io.bloomj.compute.DeviceInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** NVIDIA GPUs through the CUDA driver, when this build carries PTX (built with nvcc) and a driver is installed. */
public final class CudaProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String unavailableReason() {
        return CudaBackend.unavailableReason();
    }

    /** GPUs the driver reports, also when this build has no kernels for them (then marked not usable, with the reason). */
    @Override
    public List<DeviceInfo> devices() {
        if (Cuda.load().isEmpty()) return List.of();
        String noKernels = CudaBackend.hasKernels() ? null : "this bloomj build has no CUDA kernels (it was built without nvcc)";
        List<DeviceInfo> out = new ArrayList<>();
        for (CudaDevice d : CudaDevice.discover()) {
            boolean usable = d.usable() && noKernels == null;
            String why = noKernels != null ? noKernels : d.usable() ? "" : "needs compute capability 8.0, device has " + d.computeCapability();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", d.name());
            f.put("compute_capability", d.computeCapability());
            f.put("multiprocessors", d.multiprocessors());
            f.put("global_memory_bytes", d.totalMemory());
            f.put("theoretical_bandwidth_gb_per_second", d.theoreticalBandwidth() / 1e9);
            f.put("driver", d.driverVersion());
            out.add(new DeviceInfo("cuda", d.index(), d.name(), usable, why, List.of(String.format(Locale.ROOT,
                    "compute capability %s, %d SMs, %d MiB, theoretical %.0f GB/s, driver %d", d.computeCapability(), d.multiprocessors(),
                    d.totalMemory() >> 20, d.theoreticalBandwidth() / 1e9, d.driverVersion())), f));
        }
        return out;
    }

    @Override
    public Backend open(BackendOptions options) {
        return CudaBackend.open(options.device(), options.progress());
    }
}
