package io.bloomj.compute.cpu;

import io.bloomj.compute.Backend;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.BackendProvider;
import io.bloomj.compute.Backends;
import io.bloomj.compute.DeviceInfo;
import io.bloomj.compute.cpu.onednn.OneDnnGemm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pure-Java CPU backend: always available, one device (this machine). */
public final class CpuProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public List<DeviceInfo> devices() {
        int cores = Backends.defaultThreads();
        long heap = Runtime.getRuntime().maxMemory();
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("name", System.getProperty("os.arch"));
        fields.put("threads", cores);
        fields.put("max_heap_bytes", heap);
        fields.put("vector_bits", Vectors.F.vectorBitSize());
        String bf16 = OneDnnGemm.bf16Unavailable();
        fields.put("matmul_bf16", bf16 == null ? "available" : "unavailable: " + bf16);
        return List.of(new DeviceInfo("cpu", 0, System.getProperty("os.arch"), true, "",
                List.of(cores + " threads, Java Vector API " + Vectors.F.vectorBitSize() + "-bit, heap limit " + heap / (1 << 20) + " MiB",
                        "--matmul bf16: " + (bf16 == null ? "oneDNN bf16 GEMM available" : "runs exact, " + bf16)),
                fields));
    }

    @Override
    public Backend open(BackendOptions options) {
        return new CpuBackend(options.threads(), options.matmul(), CpuBackend.REPACK, options.progress());
    }
}
