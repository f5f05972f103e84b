package io.bloomj.compute.cpu.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The part of oneDNN 2.x's C API ({@code libdnnl.so.2}, Debian bookworm's {@code libdnnl2}) that
 * bloomj calls, through java.lang.foreign, bound at first use. oneDNN 2's descriptors are structs
 * the caller allocates ({@code dnnl_memory_desc_t} is 696 bytes, {@code dnnl_matmul_desc_t} 2800 in
 * 2.6); bloomj never reads their fields, so it allocates them with room to spare and passes
 * pointers. Handles (engine, stream, primitive, memory) are plain addresses.
 */
final class OneDnn {
    /** The library name, or an absolute path, from {@code -Dbloomj.onednn.library} (default {@code libdnnl.so.2}). */
    static final String LIBRARY = System.getProperty("bloomj.onednn.library", "libdnnl.so.2");

    static final int DT_BF16 = 2, DT_F32 = 3;
    static final int ENGINE_CPU = 1;
    static final int STREAM_DEFAULT_FLAGS = 1;
    static final int QUERY_IMPL_INFO_STR = 8;
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41;
    static final int STATUS_SUCCESS = 0, STATUS_UNIMPLEMENTED = 3;
    static final int ISA_AVX512_CORE_BF16 = 0xe7;
    static final int RUNTIME_OMP = 2;
    /** {@code DNNL_MAX_NDIMS}: a {@code dnnl_dims_t} is this many int64. */
    static final int MAX_NDIMS = 12;
    /** Bytes allocated for a {@code dnnl_memory_desc_t} / {@code dnnl_matmul_desc_t}: their 2.6 sizes with room to spare. */
    static final long MEMORY_DESC_BYTES = 1024, MATMUL_DESC_BYTES = 4096;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile OneDnn instance;
    private static volatile String unavailableReason;

    final String library;
    final int major, minor, patch, cpuRuntime;
    final MethodHandle getEffectiveCpuIsa, engineCreate, engineDestroy, streamCreate, streamWait, streamDestroy;
    final MethodHandle memoryDescInitByStrides, matmulDescInit, primitiveDescCreate, primitiveDescQuery, primitiveDescDestroy;
    final MethodHandle primitiveCreate, primitiveDestroy, primitiveExecute, memoryCreate, memoryDestroy;
    /** {@code omp_set_num_threads} of the OpenMP runtime oneDNN is built on, or null for another runtime. */
    final MethodHandle ompSetNumThreads;

    private OneDnn(SymbolLookup lib, String library) {
        this.library = library;
        MethodHandle version = bind(lib, "dnnl_version", ADDRESS);
        // const dnnl_version_t *: { int major, minor, patch; const char *hash; unsigned cpu_runtime; unsigned gpu_runtime; }
        MemorySegment v = ((MemorySegment) invoke(version)).reinterpret(32);
        major = v.get(JAVA_INT, 0);
        minor = v.get(JAVA_INT, 4);
        patch = v.get(JAVA_INT, 8);
        cpuRuntime = v.get(JAVA_INT, 24);
        if (major != 2) {
            throw new UnsatisfiedLinkError(library + " is oneDNN " + version() + "; bloomj binds oneDNN 2's C API (Debian bookworm's libdnnl2)");
        }
        getEffectiveCpuIsa = bind(lib, "dnnl_get_effective_cpu_isa", JAVA_INT);
        engineCreate = bind(lib, "dnnl_engine_create", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG);
        engineDestroy = bind(lib, "dnnl_engine_destroy", JAVA_INT, ADDRESS);
        streamCreate = bind(lib, "dnnl_stream_create", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        streamWait = bind(lib, "dnnl_stream_wait", JAVA_INT, ADDRESS);
        streamDestroy = bind(lib, "dnnl_stream_destroy", JAVA_INT, ADDRESS);
        memoryDescInitByStrides = bind(lib, "dnnl_memory_desc_init_by_strides", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS);
        matmulDescInit = bind(lib, "dnnl_matmul_desc_init", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        primitiveDescCreate = bind(lib, "dnnl_primitive_desc_create", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        primitiveDescQuery = bind(lib, "dnnl_primitive_desc_query", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);
        primitiveDescDestroy = bind(lib, "dnnl_primitive_desc_destroy", JAVA_INT, ADDRESS);
        primitiveCreate = bind(lib, "dnnl_primitive_create", JAVA_INT, ADDRESS, ADDRESS);
        primitiveDestroy = bind(lib, "dnnl_primitive_destroy", JAVA_INT, ADDRESS);
        primitiveExecute = bind(lib, "dnnl_primitive_execute", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS);
        memoryCreate = bind(lib, "dnnl_memory_create", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        memoryDestroy = bind(lib, "dnnl_memory_destroy", JAVA_INT, ADDRESS);
        // dlsym on libdnnl's handle also searches its dependencies, libgomp among them.
        MethodHandle omp = null;
        if (cpuRuntime == RUNTIME_OMP) {
            omp = lib.find("omp_set_num_threads").or(() -> libgomp().find("omp_set_num_threads"))
                    .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.ofVoid(JAVA_INT))).orElse(null);
        }
        ompSetNumThreads = omp;
    }

    private static SymbolLookup libgomp() {
        try {
            return SymbolLookup.libraryLookup("libgomp.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            return name -> java.util.Optional.empty();
        }
    }

    private MethodHandle bind(SymbolLookup lib, String name, ValueLayout ret, ValueLayout... args) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(library + " has no " + name));
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(ret, args));
    }

    /** The bound API, or null (with {@link #unavailableReason()}) when the library cannot be loaded. */
    static OneDnn load() {
        if (instance == null && unavailableReason == null) {
            synchronized (OneDnn.class) {
                if (instance == null && unavailableReason == null) {
                    try {
                        instance = open(LIBRARY);
                    } catch (UnsatisfiedLinkError e) {
                        unavailableReason = e.getMessage();
                    }
                }
            }
        }
        return instance;
    }

    /** Binds {@code library} (a name the dynamic linker finds, or a path); failing, the error says what to install. */
    static OneDnn open(String library) {
        try {
            return new OneDnn(SymbolLookup.libraryLookup(library, Arena.global()), library);
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("oneDNN (" + library + ") could not be loaded: " + e.getMessage()
                    + " (Debian/Ubuntu: apt-get install libdnnl2)");
        }
    }

    static String unavailableReason() {
        return unavailableReason;
    }

    String version() {
        return major + "." + minor + "." + patch;
    }

    int effectiveCpuIsa() {
        return (int) invoke(getEffectiveCpuIsa);
    }

    /** oneDNN's name for an ISA value of {@code dnnl_cpu_isa_t}. */
    static String isaName(int isa) {
        return switch (isa) {
            case 0x1 -> "sse41";
            case 0x3 -> "avx";
            case 0x7 -> "avx2";
            case 0x27 -> "avx512_core";
            case 0x67 -> "avx512_core_vnni";
            case 0xe7 -> "avx512_core_bf16";
            case 0x3e7 -> "avx512_core_amx";
            case 0x407 -> "avx2_vnni";
            default -> String.format(Locale.ROOT, "isa 0x%x", isa);
        };
    }

    /** Whether the ISA has bf16 dot products (avx512_bf16; AMX's value contains the same bits). */
    static boolean hasBf16DotProducts(int isa) {
        return (isa & ISA_AVX512_CORE_BF16) == ISA_AVX512_CORE_BF16;
    }

    static String statusName(int status) {
        return switch (status) {
            case 0 -> "success";
            case 1 -> "out_of_memory";
            case 2 -> "invalid_arguments";
            case 3 -> "unimplemented";
            case 4 -> "iterator_ends";
            case 5 -> "runtime_error";
            case 6 -> "not_required";
            default -> "status " + status;
        };
    }

    /** Calls a function returning {@code dnnl_status_t}; a failure throws naming the call. */
    void check(MethodHandle fn, String call, Object... args) {
        int status = status(fn, args);
        if (status != STATUS_SUCCESS) throw new IllegalStateException("oneDNN " + call + " failed: dnnl_" + statusName(status));
    }

    /** Calls a function returning {@code dnnl_status_t} and returns it. */
    int status(MethodHandle fn, Object... args) {
        return (int) invoke(fn, args);
    }

    static Object invoke(MethodHandle fn, Object... args) {
        try {
            return fn.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A {@code dnnl_dims_t} holding {@code values}. */
    static MemorySegment dims(Arena arena, long... values) {
        MemorySegment d = arena.allocate(JAVA_LONG, MAX_NDIMS);
        for (int i = 0; i < values.length; i++) d.setAtIndex(JAVA_LONG, i, values[i]);
        return d;
    }

    /** A 2-D memory descriptor: {@code rows x cols} of {@code dataType}, element (r, c) at {@code r * rowStride + c * colStride}. */
    MemorySegment matrixDesc(Arena arena, long rows, long cols, int dataType, long rowStride, long colStride) {
        MemorySegment md = arena.allocate(MEMORY_DESC_BYTES, 16);
        check(memoryDescInitByStrides, "dnnl_memory_desc_init_by_strides", md, 2, dims(arena, rows, cols), dataType,
                dims(arena, rowStride, colStride));
        return md;
    }
}
