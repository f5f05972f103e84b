package io.bloomj.compute.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The OpenCL 1.2 API through java.lang.foreign, bound to {@code libOpenCL.so.1} (the ICD loader)
 * at first use. Only the calls bloomj makes are bound. Every call returning a status goes through
 * {@link #check}, which turns a non-zero {@code cl_int} into an {@link OpenClException} naming the
 * call. Handles ({@code cl_context}, {@code cl_mem}, ...) are plain {@link MemorySegment} addresses.
 */
final class OpenCl {
    static final int CL_SUCCESS = 0;
    static final long CL_DEVICE_TYPE_CPU = 1 << 1;
    static final long CL_DEVICE_TYPE_GPU = 1 << 2;
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_VERSION = 0x0901;
    static final int CL_PLATFORM_NAME = 0x0902;
    static final int CL_PLATFORM_VENDOR = 0x0903;
    static final int CL_DEVICE_TYPE = 0x1000;
    static final int CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002;
    static final int CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final int CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010;
    static final int CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int CL_DEVICE_LOCAL_MEM_SIZE = 0x1023;
    static final int CL_DEVICE_NAME = 0x102B;
    static final int CL_DEVICE_VENDOR = 0x102C;
    static final int CL_DRIVER_VERSION = 0x102D;
    static final int CL_DEVICE_VERSION = 0x102F;
    static final int CL_DEVICE_OPENCL_C_VERSION = 0x103D;
    static final long CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    static final long CL_MEM_READ_WRITE = 1;
    static final long CL_MEM_READ_ONLY = 1 << 2;
    static final long CL_MEM_COPY_HOST_PTR = 1 << 5;
    static final int CL_PROGRAM_BINARY_SIZES = 0x1165;
    static final int CL_PROGRAM_BINARIES = 0x1166;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final int CL_PROFILING_COMMAND_START = 0x1282;
    static final int CL_PROFILING_COMMAND_END = 0x1283;
    static final int CL_BUILD_PROGRAM_FAILURE = -11;
    static final int CL_KERNEL_ARG_INFO_NOT_AVAILABLE = -19;
    static final int CL_KERNEL_NUM_ARGS = 0x1191;
    static final int CL_KERNEL_ARG_ADDRESS_QUALIFIER = 0x1196;
    static final int CL_KERNEL_ARG_TYPE_NAME = 0x1198;
    static final int CL_KERNEL_ARG_NAME = 0x119A;
    static final int CL_KERNEL_ARG_ADDRESS_GLOBAL = 0x119B;
    static final int CL_KERNEL_ARG_ADDRESS_LOCAL = 0x119C;
    static final int CL_KERNEL_ARG_ADDRESS_CONSTANT = 0x119D;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile OpenCl instance;
    private static volatile String unavailableReason;

    final MethodHandle clGetPlatformIDs, clGetPlatformInfo, clGetDeviceIDs, clGetDeviceInfo;
    final MethodHandle clCreateContext, clCreateCommandQueue, clReleaseContext, clReleaseCommandQueue;
    final MethodHandle clCreateBuffer, clReleaseMemObject, clEnqueueWriteBuffer, clEnqueueReadBuffer, clEnqueueFillBuffer;
    final MethodHandle clCreateProgramWithSource, clCreateProgramWithBinary, clBuildProgram, clGetProgramBuildInfo;
    final MethodHandle clGetProgramInfo, clReleaseProgram, clCreateKernel, clReleaseKernel, clSetKernelArg;
    final MethodHandle clEnqueueNDRangeKernel, clFinish, clFlush, clGetEventProfilingInfo, clReleaseEvent, clEnqueueCopyBuffer;
    final MethodHandle clGetKernelInfo, clGetKernelArgInfo;

    private OpenCl(SymbolLookup lib) {
        clGetPlatformIDs = bind(lib, "clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        clGetPlatformInfo = bind(lib, "clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clGetDeviceIDs = bind(lib, "clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        clGetDeviceInfo = bind(lib, "clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clCreateContext = bind(lib, "clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        clCreateCommandQueue = bind(lib, "clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        clReleaseContext = bind(lib, "clReleaseContext", JAVA_INT, ADDRESS);
        clReleaseCommandQueue = bind(lib, "clReleaseCommandQueue", JAVA_INT, ADDRESS);
        clCreateBuffer = bind(lib, "clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        clReleaseMemObject = bind(lib, "clReleaseMemObject", JAVA_INT, ADDRESS);
        clEnqueueWriteBuffer = bind(lib, "clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        clEnqueueReadBuffer = bind(lib, "clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        clEnqueueFillBuffer = bind(lib, "clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        clCreateProgramWithSource = bind(lib, "clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        clCreateProgramWithBinary = bind(lib, "clCreateProgramWithBinary", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS);
        clBuildProgram = bind(lib, "clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        clGetProgramBuildInfo = bind(lib, "clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clGetProgramInfo = bind(lib, "clGetProgramInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clReleaseProgram = bind(lib, "clReleaseProgram", JAVA_INT, ADDRESS);
        clCreateKernel = bind(lib, "clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        clReleaseKernel = bind(lib, "clReleaseKernel", JAVA_INT, ADDRESS);
        clGetKernelInfo = bind(lib, "clGetKernelInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clGetKernelArgInfo = bind(lib, "clGetKernelArgInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clSetKernelArg = bind(lib, "clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        clEnqueueNDRangeKernel = bind(lib, "clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        clFinish = bind(lib, "clFinish", JAVA_INT, ADDRESS);
        clFlush = bind(lib, "clFlush", JAVA_INT, ADDRESS);
        clGetEventProfilingInfo = bind(lib, "clGetEventProfilingInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        clReleaseEvent = bind(lib, "clReleaseEvent", JAVA_INT, ADDRESS);
        clEnqueueCopyBuffer = bind(lib, "clEnqueueCopyBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
    }

    private static MethodHandle bind(SymbolLookup lib, String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libOpenCL.so.1 has no " + name));
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(ret, args));
    }

    /** The bound API, or empty (with {@link #unavailableReason()}) when no OpenCL library can be loaded. */
    static Optional<OpenCl> load() {
        if (instance == null && unavailableReason == null) {
            synchronized (OpenCl.class) {
                if (instance == null && unavailableReason == null) {
                    try {
                        instance = new OpenCl(SymbolLookup.libraryLookup("libOpenCL.so.1", Arena.global()));
                    } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
                        unavailableReason = "no OpenCL library (libOpenCL.so.1) could be loaded: " + e.getMessage()
                                + " (Debian/Ubuntu: apt-get install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd)";
                    }
                }
            }
        }
        return Optional.ofNullable(instance);
    }

    static String unavailableReason() {
        return unavailableReason;
    }

    /** Throws when {@code status} is not CL_SUCCESS. */
    static void check(int status, String call) {
        if (status != CL_SUCCESS) throw new OpenClException(call, status);
    }

    /** Reads a {@code cl_int} error code left by a create call. */
    static void checkErr(MemorySegment err, String call) {
        check(err.get(JAVA_INT, 0), call);
    }

    // ---- typed wrappers: invokeExact keeps the per-token calls (set arg, enqueue) at native-call cost

    int setKernelArg(MemorySegment kernel, int index, long size, MemorySegment value) {
        try {
            return (int) clSetKernelArg.invokeExact(kernel, index, size, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueNDRangeKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global,
                             MemorySegment local, MemorySegment event) {
        try {
            return (int) clEnqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0,
                    MemorySegment.NULL, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueWriteBuffer(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long size, MemorySegment src) {
        try {
            return (int) clEnqueueWriteBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, size, src, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int enqueueReadBuffer(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long size, MemorySegment dst) {
        try {
            return (int) clEnqueueReadBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, size, dst, 0,
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int finish(MemorySegment queue) {
        try {
            return (int) clFinish.invokeExact(queue);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int release(MethodHandle releaser, MemorySegment handle) {
        try {
            return (int) releaser.invokeExact(handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Calls a bound function whose exact type is awkward to spell (set-up calls, not per token). */
    static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
