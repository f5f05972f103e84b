package io.bloomj.compute.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.bloomj.compute.cuda.Cuda.call;

/**
 * One NVIDIA GPU as the driver reports it.
 *
 * @param memoryClockKhz peak memory clock; with the bus width it gives the theoretical bandwidth
 */
public record CudaDevice(int index, String name, long totalMemory, int multiprocessors, int major, int minor,
                         int memoryClockKhz, int busWidthBits, int driverVersion) {

    /** Theoretical memory bandwidth (double data rate): 2 x clock x bus width. */
    public double theoreticalBandwidth() {
        return 2.0 * memoryClockKhz * 1e3 * busWidthBits / 8;
    }

    /** bloomj's PTX targets compute capability 8.0 and newer (bf16, tensor-core WMMA). */
    public boolean usable() {
        return major >= 8;
    }

    public String computeCapability() {
        return major + "." + minor;
    }

    public static List<CudaDevice> discover() {
        Cuda cu = Cuda.load().orElse(null);
        List<CudaDevice> out = new ArrayList<>();
        if (cu == null) return out;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
            cu.check((int) call(cu.cuDeviceGetCount, n), "cuDeviceGetCount");
            MemorySegment version = a.allocate(ValueLayout.JAVA_INT);
            cu.check((int) call(cu.cuDriverGetVersion, version), "cuDriverGetVersion");
            for (int i = 0; i < n.get(ValueLayout.JAVA_INT, 0); i++) {
                MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
                cu.check((int) call(cu.cuDeviceGet, dev, i), "cuDeviceGet");
                int d = dev.get(ValueLayout.JAVA_INT, 0);
                MemorySegment name = a.allocate(256);
                cu.check((int) call(cu.cuDeviceGetName, name, 256, d), "cuDeviceGetName");
                MemorySegment mem = a.allocate(ValueLayout.JAVA_LONG);
                cu.check((int) call(cu.cuDeviceTotalMem, mem, d), "cuDeviceTotalMem");
                out.add(new CudaDevice(i, name.getString(0), mem.get(ValueLayout.JAVA_LONG, 0),
                        attr(cu, d, Cuda.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                        attr(cu, d, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                        attr(cu, d, Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
                        attr(cu, d, Cuda.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE),
                        attr(cu, d, Cuda.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH), version.get(ValueLayout.JAVA_INT, 0)));
            }
        }
        return out;
    }

    private static int attr(Cuda cu, int dev, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
            cu.check((int) call(cu.cuDeviceGetAttribute, v, attribute, dev), "cuDeviceGetAttribute(" + attribute + ")");
            return v.get(ValueLayout.JAVA_INT, 0);
        }
    }
}
