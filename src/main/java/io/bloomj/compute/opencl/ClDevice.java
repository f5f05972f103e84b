package io.bloomj.compute.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;

/**
 * One OpenCL device as discovered, with what bloomj needs to know to plan for it.
 *
 * @param index         position in {@link #discover()} order: the {@code --device} number
 * @param isCpu         a CPU device (PoCL, Intel CPU runtime): kernels use one work-item per row
 */
public record ClDevice(int index, MemorySegment platform, MemorySegment id, String platformName, String name,
                       String vendor, String driverVersion, String deviceVersion, String openclCVersion, boolean isCpu,
                       boolean isGpu, int computeUnits, long globalMemory, long maxAllocation, long localMemory,
                       long maxWorkGroupSize) {

    /** Whether bloomj can run on it: OpenCL C 1.2 or newer. */
    public boolean usable() {
        return openclCMajorMinor() >= 12;
    }

    public String whyNotUsable() {
        return usable() ? "" : "needs OpenCL C 1.2, device offers " + openclCVersion;
    }

    private int openclCMajorMinor() {
        // "OpenCL C 1.2 PoCL", "OpenCL C 3.0 "
        String[] parts = openclCVersion.replace("OpenCL C", "").trim().split("[ .]");
        try {
            return Integer.parseInt(parts[0]) * 10 + Integer.parseInt(parts[1]);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** A string that changes whenever compiled binaries from this device could be invalid. */
    public String cacheKey() {
        return platformName + "|" + name + "|" + vendor + "|" + driverVersion + "|" + deviceVersion;
    }

    /** Every device of every platform; empty when there is no OpenCL library or platform. */
    public static List<ClDevice> discover() {
        OpenCl cl = OpenCl.load().orElse(null);
        List<ClDevice> out = new ArrayList<>();
        if (cl == null) return out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            int status = (int) call(cl.clGetPlatformIDs, 0, MemorySegment.NULL, count);
            if (status == -1001 || count.get(ValueLayout.JAVA_INT, 0) == 0) return out; // no ICD installed
            check(status, "clGetPlatformIDs");
            int np = count.get(ValueLayout.JAVA_INT, 0);
            MemorySegment platforms = arena.allocate(ValueLayout.ADDRESS, np);
            check((int) call(cl.clGetPlatformIDs, np, platforms, MemorySegment.NULL), "clGetPlatformIDs");
            for (int p = 0; p < np; p++) {
                MemorySegment platform = platforms.getAtIndex(ValueLayout.ADDRESS, p);
                String pname = platformString(cl, platform, OpenCl.CL_PLATFORM_NAME);
                int st = (int) call(cl.clGetDeviceIDs, platform, OpenCl.CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
                if (st == -1) continue; // CL_DEVICE_NOT_FOUND
                check(st, "clGetDeviceIDs");
                int nd = count.get(ValueLayout.JAVA_INT, 0);
                MemorySegment devices = arena.allocate(ValueLayout.ADDRESS, nd);
                check((int) call(cl.clGetDeviceIDs, platform, OpenCl.CL_DEVICE_TYPE_ALL, nd, devices, MemorySegment.NULL), "clGetDeviceIDs");
                for (int d = 0; d < nd; d++) {
                    MemorySegment dev = devices.getAtIndex(ValueLayout.ADDRESS, d);
                    long type = deviceLong(cl, dev, OpenCl.CL_DEVICE_TYPE);
                    out.add(new ClDevice(out.size(), platform, dev, pname,
                            deviceString(cl, dev, OpenCl.CL_DEVICE_NAME).trim(), deviceString(cl, dev, OpenCl.CL_DEVICE_VENDOR),
                            deviceString(cl, dev, OpenCl.CL_DRIVER_VERSION), deviceString(cl, dev, OpenCl.CL_DEVICE_VERSION),
                            deviceString(cl, dev, OpenCl.CL_DEVICE_OPENCL_C_VERSION),
                            (type & OpenCl.CL_DEVICE_TYPE_CPU) != 0, (type & OpenCl.CL_DEVICE_TYPE_GPU) != 0,
                            (int) deviceInt(cl, dev, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceLong(cl, dev, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE), deviceLong(cl, dev, OpenCl.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            deviceLong(cl, dev, OpenCl.CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(cl, dev, OpenCl.CL_DEVICE_MAX_WORK_GROUP_SIZE)));
                }
            }
        }
        return out;
    }

    private static String platformString(OpenCl cl, MemorySegment platform, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            check((int) call(cl.clGetPlatformInfo, platform, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment buf = arena.allocate(size.get(ValueLayout.JAVA_LONG, 0) + 1);
            check((int) call(cl.clGetPlatformInfo, platform, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetPlatformInfo");
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    private static String deviceString(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(ValueLayout.JAVA_LONG);
            check((int) call(cl.clGetDeviceInfo, dev, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment buf = arena.allocate(size.get(ValueLayout.JAVA_LONG, 0) + 1);
            check((int) call(cl.clGetDeviceInfo, dev, param, buf.byteSize(), buf, MemorySegment.NULL), "clGetDeviceInfo");
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    private static long deviceLong(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_LONG);
            check((int) call(cl.clGetDeviceInfo, dev, param, 8L, v, MemorySegment.NULL), "clGetDeviceInfo");
            return v.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    private static long deviceInt(OpenCl cl, MemorySegment dev, int param) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            check((int) call(cl.clGetDeviceInfo, dev, param, 4L, v, MemorySegment.NULL), "clGetDeviceInfo");
            return Integer.toUnsignedLong(v.get(ValueLayout.JAVA_INT, 0));
        }
    }

    @Override
    public String toString() {
        return name + " (" + platformName + ")";
    }
}
