package io.bloomj.compute.cpu.onednn;

import io.bloomj.compute.cpu.ThreadTeam;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Prompt rows' matmuls through oneDNN's matmul primitive:
 * {@code y[r, o] = bias[o] + sum_i W[o, i] * x[r, i]}, W read in place from the mapped checkpoint
 * (its {@code [out][in]} rows are the weights' columns: strides {@code (1, in)}, no copy), x
 * converted to the weights' dtype first. With bf16 weights that is what llama.cpp's and PyTorch's
 * bf16 matmuls do: activations rounded to bf16 (to nearest, ties to even), products accumulated in
 * fp32 by the CPU's bf16 dot-product instructions (avx512_bf16, AMX) — about twice the rate of fp32
 * FMA, and different bits from the exact path. Which rows share a call may change a row's bits
 * (oneDNN picks its blocking from the shape), unlike the exact path.
 *
 * <p>f32 weights take the same path with no rounding; bloomj uses that only to check this binding
 * on machines without bf16 instructions (oneDNN 2.6 has no bf16 matmul below avx512_core).
 *
 * <p>Primitives are built once per shape (a prompt's chunks have a few shapes) and kept, the most
 * recent {@link #CACHED_SHAPES}. One call at a time.
 */
public final class OneDnnGemm implements AutoCloseable {
    static final int CACHED_SHAPES = 32;

    private static String bf16Reason;
    private static boolean bf16Probed;

    private final OneDnn dnnl;
    private final DType weightType;
    private final int dataType;
    private final ThreadTeam team;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment engine, stream;
    private final String impl;
    private final Map<Shape, Primitive> primitives = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<float[], MemorySegment> biases = new IdentityHashMap<>();
    private Arena buffers = Arena.ofShared();
    private MemorySegment src = MemorySegment.NULL, dst = MemorySegment.NULL;
    private boolean closed;

    private record Shape(int m, int k, int n, boolean bias) {}

    private record Primitive(MemorySegment desc, MemorySegment primitive, MemorySegment srcMd, MemorySegment weightsMd,
                             MemorySegment biasMd, MemorySegment dstMd, Arena arena) {}

    private OneDnnGemm(OneDnn dnnl, DType weightType, ThreadTeam team) {
        this.dnnl = dnnl;
        this.weightType = weightType;
        this.dataType = weightType == DType.BF16 ? OneDnn.DT_BF16 : OneDnn.DT_F32;
        this.team = team;
        try {
            MemorySegment cell = arena.allocate(ADDRESS);
            dnnl.check(dnnl.engineCreate, "dnnl_engine_create", cell, OneDnn.ENGINE_CPU, 0L);
            engine = cell.get(ADDRESS, 0);
            dnnl.check(dnnl.streamCreate, "dnnl_stream_create", cell, engine, OneDnn.STREAM_DEFAULT_FLAGS);
            stream = cell.get(ADDRESS, 0);
            // A typical prompt shape names the implementation oneDNN picks (and fails here if there is none).
            impl = implementation(primitive(new Shape(64, 256, 256, true)).desc());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * A GEMM over weights of {@code weightType} (BF16 or F32) that splits its work over as many
     * threads as {@code team} has (the team itself idles meanwhile).
     *
     * @throws IllegalStateException with the reason when oneDNN cannot be loaded or has no matmul for that dtype here
     */
    public static OneDnnGemm open(DType weightType, ThreadTeam team) {
        if (weightType != DType.BF16 && weightType != DType.F32) {
            throw new IllegalArgumentException("oneDNN matmuls here take bf16 or f32 weights, not " + weightType);
        }
        OneDnn dnnl = OneDnn.load();
        if (dnnl == null) throw new IllegalStateException(OneDnn.unavailableReason());
        return new OneDnnGemm(dnnl, weightType, team);
    }

    /**
     * Why {@code --matmul bf16} cannot use oneDNN on this machine, or null when it can: the library
     * must load, the CPU must have bf16 dot products (without them oneDNN 2.6 has no bf16 matmul,
     * and emulating one would be slower than the exact fp32 path) and the matmul must not be
     * oneDNN's reference implementation.
     */
    public static synchronized String bf16Unavailable() {
        if (!bf16Probed) {
            bf16Probed = true;
            bf16Reason = probeBf16();
        }
        return bf16Reason;
    }

    private static String probeBf16() {
        OneDnn dnnl = OneDnn.load();
        if (dnnl == null) return OneDnn.unavailableReason();
        int isa = dnnl.effectiveCpuIsa();
        if (!OneDnn.hasBf16DotProducts(isa)) {
            return "this CPU has no bf16 dot-product instructions (oneDNN " + dnnl.version() + " finds " + OneDnn.isaName(isa)
                    + "; a bf16 matmul needs avx512_bf16 or AMX)";
        }
        try (ThreadTeam one = new ThreadTeam(1); OneDnnGemm g = new OneDnnGemm(dnnl, DType.BF16, one)) {
            if (g.impl.startsWith("ref")) {
                return "oneDNN " + dnnl.version() + " has only its reference bf16 matmul (" + g.impl + ") on this CPU, slower than the exact path";
            }
            return null;
        } catch (RuntimeException e) {
            return "oneDNN " + dnnl.version() + " has no bf16 matmul on " + OneDnn.isaName(isa) + ": " + e.getMessage();
        }
    }

    /** E.g. {@code oneDNN 2.6.3 bf16 matmul (brg:avx512_core_amx)}. */
    public String description() {
        return "oneDNN " + dnnl.version() + " " + weightType.name().toLowerCase(java.util.Locale.ROOT) + " matmul (" + impl + ")";
    }

    /**
     * Computes {@code m} rows: x row {@code r} at {@code x[xOff + r * k]}, y row {@code r} at
     * {@code y[yOff + r * ldy]}, every output column of {@code w}.
     */
    public synchronized void run(Weight w, float[] bias, float[] x, int xOff, int m, float[] y, int yOff, int ldy) {
        if (closed) throw new io.bloomj.ClosedException("the oneDNN GEMM");
        if (w.dtype() != weightType) throw new IllegalArgumentException("this GEMM takes " + weightType + " weights, not " + w.dtype());
        if (!w.data().isNative()) throw new IllegalArgumentException("oneDNN reads weights in native memory; " + w.name() + " is on the heap");
        int k = w.cols(), n = w.rows();
        if (m <= 0) return;
        Primitive p = primitive(new Shape(m, k, n, bias != null));
        long elementBytes = weightType == DType.BF16 ? 2 : 4;
        ensureBuffers((long) m * k * elementBytes, (long) m * n * Float.BYTES);
        MemorySegment in = src, out = dst;
        team.parallelFor(m, 1, (r0, r1, t) -> {
            for (int r = r0; r < r1; r++) {
                if (weightType == DType.BF16) toBf16(x, xOff + r * k, k, in, (long) r * k);
                else MemorySegment.copy(x, xOff + r * k, in, JAVA_FLOAT, (long) r * k * Float.BYTES, k);
            }
        });
        try (Arena call = Arena.ofConfined()) {
            MemorySegment cell = call.allocate(ADDRESS);
            MemorySegment[] memories = new MemorySegment[4];
            int[] argIds = {OneDnn.ARG_SRC, OneDnn.ARG_WEIGHTS, OneDnn.ARG_DST, OneDnn.ARG_BIAS};
            MemorySegment[] descs = {p.srcMd(), p.weightsMd(), p.dstMd(), p.biasMd()};
            MemorySegment[] handles = {in, w.data(), out, bias == null ? null : biasSegment(bias)};
            int nargs = bias == null ? 3 : 4;
            try {
                MemorySegment args = call.allocate(16L * nargs, 8);   // dnnl_exec_arg_t: { int arg; dnnl_memory_t memory; }
                for (int i = 0; i < nargs; i++) {
                    dnnl.check(dnnl.memoryCreate, "dnnl_memory_create", cell, descs[i], engine, handles[i]);
                    memories[i] = cell.get(ADDRESS, 0);
                    args.set(JAVA_INT, 16L * i, argIds[i]);
                    args.set(ADDRESS, 16L * i + 8, memories[i]);
                }
                if (dnnl.ompSetNumThreads != null) OneDnn.invoke(dnnl.ompSetNumThreads, team.size());
                dnnl.check(dnnl.primitiveExecute, "dnnl_primitive_execute", p.primitive(), stream, nargs, args);
                dnnl.check(dnnl.streamWait, "dnnl_stream_wait", stream);
            } finally {
                for (MemorySegment mem : memories) if (mem != null) dnnl.status(dnnl.memoryDestroy, mem);
            }
        }
        team.parallelFor(m, 1, (r0, r1, t) -> {
            for (int r = r0; r < r1; r++) MemorySegment.copy(out, JAVA_FLOAT, (long) r * n * Float.BYTES, y, yOff + r * ldy, n);
        });
    }

    /** Rounds {@code count} floats to bf16, to nearest with ties to even (NaN stays NaN), as PyTorch's and llama.cpp's conversions do. */
    static void toBf16(float[] x, int from, int count, MemorySegment out, long outIndex) {
        for (int i = 0; i < count; i++) out.setAtIndex(JAVA_SHORT, outIndex + i, bf16(x[from + i]));
    }

    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);   // NaN: keep the sign, stay quiet
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private MemorySegment biasSegment(float[] bias) {
        return biases.computeIfAbsent(bias, b -> {
            MemorySegment s = arena.allocate(JAVA_FLOAT, b.length);
            MemorySegment.copy(b, 0, s, JAVA_FLOAT, 0, b.length);
            return s;
        });
    }

    private void ensureBuffers(long srcBytes, long dstBytes) {
        if (src.byteSize() >= srcBytes && dst.byteSize() >= dstBytes) return;
        Arena next = Arena.ofShared();
        src = next.allocate(Math.max(srcBytes, src.byteSize()), 64);
        dst = next.allocate(Math.max(dstBytes, dst.byteSize()), 64);
        buffers.close();
        buffers = next;
    }

    private Primitive primitive(Shape s) {
        Primitive p = primitives.get(s);
        if (p != null) return p;
        Arena a = Arena.ofShared();
        MemorySegment desc = null, prim = null;
        try {
            MemorySegment srcMd = dnnl.matrixDesc(a, s.m(), s.k(), dataType, s.k(), 1);
            MemorySegment weightsMd = dnnl.matrixDesc(a, s.k(), s.n(), dataType, 1, s.k());
            MemorySegment dstMd = dnnl.matrixDesc(a, s.m(), s.n(), OneDnn.DT_F32, s.n(), 1);
            MemorySegment biasMd = s.bias() ? dnnl.matrixDesc(a, 1, s.n(), OneDnn.DT_F32, s.n(), 1) : MemorySegment.NULL;
            MemorySegment op = a.allocate(OneDnn.MATMUL_DESC_BYTES, 16);
            dnnl.check(dnnl.matmulDescInit, "dnnl_matmul_desc_init", op, srcMd, weightsMd, biasMd, dstMd);
            MemorySegment cell = a.allocate(ADDRESS);
            int status = dnnl.status(dnnl.primitiveDescCreate, cell, op, MemorySegment.NULL, engine, MemorySegment.NULL);
            if (status != OneDnn.STATUS_SUCCESS) {
                throw new IllegalStateException("no " + weightType.name().toLowerCase(java.util.Locale.ROOT) + " matmul of "
                        + s.m() + "x" + s.k() + " by " + s.k() + "x" + s.n() + " (dnnl_primitive_desc_create: dnnl_"
                        + OneDnn.statusName(status) + ")");
            }
            desc = cell.get(ADDRESS, 0);
            dnnl.check(dnnl.primitiveCreate, "dnnl_primitive_create", cell, desc);
            prim = cell.get(ADDRESS, 0);
            p = new Primitive(desc, prim, srcMd, weightsMd, biasMd, dstMd, a);
        } catch (RuntimeException e) {
            if (desc != null) dnnl.status(dnnl.primitiveDescDestroy, desc);
            a.close();
            throw e;
        }
        primitives.put(s, p);
        if (primitives.size() > CACHED_SHAPES) {
            var eldest = primitives.entrySet().iterator();
            destroy(eldest.next().getValue());
            eldest.remove();
        }
        return p;
    }

    private String implementation(MemorySegment desc) {
        MemorySegment cell = arena.allocate(ADDRESS);
        dnnl.check(dnnl.primitiveDescQuery, "dnnl_primitive_desc_query", desc, OneDnn.QUERY_IMPL_INFO_STR, 0, cell);
        return cell.get(ADDRESS, 0).reinterpret(256).getString(0);
    }

    private void destroy(Primitive p) {
        dnnl.status(dnnl.primitiveDestroy, p.primitive());
        dnnl.status(dnnl.primitiveDescDestroy, p.desc());
        p.arena().close();
    }

    /** Primitives kept (tests). */
    synchronized int cachedShapes() {
        return primitives.size();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        for (Primitive p : primitives.values()) destroy(p);
        primitives.clear();
        if (stream != null) dnnl.status(dnnl.streamDestroy, stream);
        if (engine != null) dnnl.status(dnnl.engineDestroy, engine);
        buffers.close();
        arena.close();
    }
}
