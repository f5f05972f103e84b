package io.bloomj.cli;

import io.bloomj.compute.cpu.CpuBackend;
import io.bloomj.compute.cuda.CudaBackend;
import io.bloomj.compute.cuda.CudaDevice;
import io.bloomj.compute.opencl.ClDevice;
import io.bloomj.compute.opencl.OpenClBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
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
        int cores = CpuBackend.defaultThreads();
        long heap = Runtime.getRuntime().maxMemory();
        if (json) {
            try (Json j = new Json(out)) {
                j.field("backend", "cpu").field("device", 0).field("name", System.getProperty("os.arch"))
                        .field("threads", cores).field("max_heap_bytes", heap).field("usable", true);
            }
        } else {
            out.printf(Locale.ROOT, "cpu     #0  %d threads, Java Vector API, heap limit %s  [usable]%n", cores, Sizes.bytes(heap));
        }
        String why = OpenClBackend.unavailableReason();
        List<ClDevice> devices = why == null ? ClDevice.discover() : List.of();
        if (why != null && !json) out.println("opencl      unavailable: " + why);
        for (ClDevice d : devices) {
            if (json) {
                try (Json j = new Json(out)) {
                    j.field("backend", "opencl").field("device", d.index()).field("name", d.name()).field("vendor", d.vendor())
                            .field("platform", d.platformName()).field("driver", d.driverVersion()).field("version", d.deviceVersion())
                            .field("opencl_c", d.openclCVersion()).field("type", d.isGpu() ? "gpu" : d.isCpu() ? "cpu" : "other")
                            .field("compute_units", d.computeUnits()).field("global_memory_bytes", d.globalMemory())
                            .field("max_allocation_bytes", d.maxAllocation()).field("local_memory_bytes", d.localMemory())
                            .field("usable", d.usable()).field("unusable_reason", d.whyNotUsable());
                }
            } else {
                out.printf(Locale.ROOT, "opencl  #%d  %s (%s, %s)%n", d.index(), d.name(), d.vendor(), d.isGpu() ? "GPU" : d.isCpu() ? "CPU" : "other");
                out.printf(Locale.ROOT, "            platform %s, driver %s, %s, %s%n", d.platformName(), d.driverVersion(),
                        d.deviceVersion().trim(), d.openclCVersion().trim());
                out.printf(Locale.ROOT, "            %d compute units, global memory %s, max allocation %s, local memory %s  [%s]%n",
                        d.computeUnits(), Sizes.bytes(d.globalMemory()), Sizes.bytes(d.maxAllocation()), Sizes.bytes(d.localMemory()),
                        d.usable() ? "usable" : "not usable: " + d.whyNotUsable());
            }
        }
        String cudaWhy = CudaBackend.unavailableReason();
        List<CudaDevice> gpus = cudaWhy == null || !cudaWhy.contains("no CUDA driver") && !cudaWhy.contains("without nvcc")
                ? CudaDevice.discover() : List.of();
        if (cudaWhy != null && gpus.isEmpty() && !json) out.println("cuda        unavailable: " + cudaWhy);
        for (CudaDevice d : gpus) {
            if (json) {
                try (Json j = new Json(out)) {
                    j.field("backend", "cuda").field("device", d.index()).field("name", d.name()).field("compute_capability", d.computeCapability())
                            .field("multiprocessors", d.multiprocessors()).field("global_memory_bytes", d.totalMemory())
                            .field("theoretical_bandwidth_gb_per_second", d.theoreticalBandwidth() / 1e9).field("driver", d.driverVersion())
                            .field("usable", d.usable() && cudaWhy == null);
                }
            } else {
                out.printf(Locale.ROOT, "cuda    #%d  %s, compute capability %s, %d SMs, %s, theoretical %.0f GB/s, driver %d  [%s]%n",
                        d.index(), d.name(), d.computeCapability(), d.multiprocessors(), Sizes.bytes(d.totalMemory()),
                        d.theoreticalBandwidth() / 1e9, d.driverVersion(), d.usable() && cudaWhy == null ? "usable" : "not usable: "
                                + (cudaWhy != null ? cudaWhy : "needs compute capability 8.0"));
            }
        }
        return 0;
    }
}
