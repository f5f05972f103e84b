package io.bloomj.compute.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA driver API ({@code libcuda.so.1}, installed with the NVIDIA driver) through
 * java.lang.foreign: no JNI library and no NVRTC, kernels come as PTX compiled at build time.
 * Device pointers ({@code CUdeviceptr}) are {@code long}s; other handles are {@link MemorySegment}s.
 * Every call goes through {@link #check}, which turns a non-zero {@code CUresult} into a
 * {@link CudaException} naming the call and the error.
 */
final class Cuda {
    static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    static final int CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36;
    static final int CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    static final int CU_STREAM_NON_BLOCKING = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile Cuda instance;
    private static volatile String unavailableReason;

    final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceTotalMem, cuDeviceGetAttribute;
    final MethodHandle cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent, cuCtxSynchronize, cuMemGetInfo;
    final MethodHandle cuModuleLoadData, cuModuleGetFunction, cuModuleUnload;
    final MethodHandle cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH, cuMemcpyDtoD, cuMemsetD8;
    final MethodHandle cuStreamCreate, cuStreamSynchronize, cuStreamDestroy, cuLaunchKernel;
    final MethodHandle cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy;
    final MethodHandle cuStreamBeginCapture, cuStreamEndCapture, cuGraphInstantiateWithFlags, cuGraphLaunch, cuGraphExecDestroy, cuGraphDestroy;
    final MethodHandle cuGetErrorName;

    private Cuda(SymbolLookup lib) {
        cuInit = bind(lib, "cuInit", JAVA_INT);
        cuDriverGetVersion = bind(lib, "cuDriverGetVersion", ADDRESS);
        cuDeviceGetCount = bind(lib, "cuDeviceGetCount", ADDRESS);
        cuDeviceGet = bind(lib, "cuDeviceGet", ADDRESS, JAVA_INT);
        cuDeviceGetName = bind(lib, "cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
        cuDeviceTotalMem = bind(lib, "cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
        cuDeviceGetAttribute = bind(lib, "cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
        cuDevicePrimaryCtxRetain = bind(lib, "cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
        cuDevicePrimaryCtxRelease = bind(lib, "cuDevicePrimaryCtxRelease_v2", JAVA_INT);
        cuCtxSetCurrent = bind(lib, "cuCtxSetCurrent", ADDRESS);
        cuCtxSynchronize = bind(lib, "cuCtxSynchronize");
        cuMemGetInfo = bind(lib, "cuMemGetInfo_v2", ADDRESS, ADDRESS);
        cuModuleLoadData = bind(lib, "cuModuleLoadData", ADDRESS, ADDRESS);
        cuModuleGetFunction = bind(lib, "cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
        cuModuleUnload = bind(lib, "cuModuleUnload", ADDRESS);
        cuMemAlloc = bind(lib, "cuMemAlloc_v2", ADDRESS, JAVA_LONG);
        cuMemFree = bind(lib, "cuMemFree_v2", JAVA_LONG);
        cuMemcpyHtoD = bind(lib, "cuMemcpyHtoD_v2", JAVA_LONG, ADDRESS, JAVA_LONG);
        cuMemcpyDtoH = bind(lib, "cuMemcpyDtoH_v2", ADDRESS, JAVA_LONG, JAVA_LONG);
        cuMemcpyDtoD = bind(lib, "cuMemcpyDtoD_v2", JAVA_LONG, JAVA_LONG, JAVA_LONG);
        cuMemsetD8 = bind(lib, "cuMemsetD8_v2", JAVA_LONG, ValueLayout.JAVA_BYTE, JAVA_LONG);
        cuStreamCreate = bind(lib, "cuStreamCreate", ADDRESS, JAVA_INT);
        cuStreamSynchronize = bind(lib, "cuStreamSynchronize", ADDRESS);
        cuStreamDestroy = bind(lib, "cuStreamDestroy_v2", ADDRESS);
        cuLaunchKernel = bind(lib, "cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS);
        cuEventCreate = bind(lib, "cuEventCreate", ADDRESS, JAVA_INT);
        cuEventRecord = bind(lib, "cuEventRecord", ADDRESS, ADDRESS);
        cuEventSynchronize = bind(lib, "cuEventSynchronize", ADDRESS);
        // CUDA 12.8+ headers map cuEventElapsedTime to _v2 (same signature); older drivers have only v1
        cuEventElapsedTime = lib.find("cuEventElapsedTime_v2").isPresent()
                ? bind(lib, "cuEventElapsedTime_v2", ADDRESS, ADDRESS, ADDRESS) : bind(lib, "cuEventElapsedTime", ADDRESS, ADDRESS, ADDRESS);
        cuEventDestroy = bind(lib, "cuEventDestroy_v2", ADDRESS);
        cuStreamBeginCapture = bind(lib, "cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
        cuStreamEndCapture = bind(lib, "cuStreamEndCapture", ADDRESS, ADDRESS);
        cuGraphInstantiateWithFlags = bind(lib, "cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
        cuGraphLaunch = bind(lib, "cuGraphLaunch", ADDRESS, ADDRESS);
        cuGraphExecDestroy = bind(lib, "cuGraphExecDestroy", ADDRESS);
        cuGraphDestroy = bind(lib, "cuGraphDestroy", ADDRESS);
        cuGetErrorName = bind(lib, "cuGetErrorName", JAVA_INT, ADDRESS);
    }

    private static MethodHandle bind(SymbolLookup lib, String name, ValueLayout... args) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libcuda.so.1 has no " + name));
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, args));
    }

    /** The bound and initialised driver, or empty (see {@link #unavailableReason()}). */
    static Optional<Cuda> load() {
        if (instance == null && unavailableReason == null) {
            synchronized (Cuda.class) {
                if (instance == null && unavailableReason == null) {
                    try {
                        Cuda c = new Cuda(SymbolLookup.libraryLookup("libcuda.so.1", Arena.global()));
                        int status = (int) call(c.cuInit, 0);
                        if (status != 0) {
                            unavailableReason = "cuInit failed: " + c.errorName(status) + " (" + status + "): no usable NVIDIA GPU or driver";
                        } else {
                            instance = c;
                        }
                    } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
                        unavailableReason = "no CUDA driver (libcuda.so.1) could be loaded: " + e.getMessage()
                                + " (the NVIDIA driver installs it; CUDA runs only on NVIDIA GPUs)";
                    }
                }
            }
        }
        return Optional.ofNullable(instance);
    }

    static String unavailableReason() {
        return unavailableReason;
    }

    String errorName(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ValueLayout.ADDRESS);
            if ((int) call(cuGetErrorName, status, p) != 0) return "CUDA error";
            return p.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
        }
    }

    void check(int status, String what) {
        if (status != 0) throw new CudaException(what, status, errorName(status));
    }

    /** Calls a bound function (all return CUresult). */
    static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    int launch(MemorySegment function, int gx, int gy, int gz, int bx, int by, int bz, int shared, MemorySegment stream,
               MemorySegment params) {
        try {
            return (int) cuLaunchKernel.invokeExact(function, gx, gy, gz, bx, by, bz, shared, stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    static float elapsedMs(Cuda cu, MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            cu.check((int) call(cu.cuEventElapsedTime, ms, start, end), "cuEventElapsedTime");
            return ms.get(JAVA_FLOAT, 0);
        }
    }
}
