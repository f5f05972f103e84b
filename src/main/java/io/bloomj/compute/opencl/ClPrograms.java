package io.bloomj.compute.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.bloomj.compute.opencl.OpenCl.call;
import static io.bloomj.compute.opencl.OpenCl.check;
import static io.bloomj.compute.opencl.OpenCl.checkErr;

/**
 * Builds the kernel files shipped in the jar ({@code /kernels/opencl/*.cl}, each prefixed with
 * {@code common.cl}) for one device, once per build-option set, and keeps the compiled binaries in a
 * cache folder keyed by source, options, device and driver, so later starts skip the compiler.
 * A failed build raises a {@link KernelBuildException} with the compiler's log.
 */
final class ClPrograms implements AutoCloseable {
    private final ClContext ctx;
    private final Path cacheDir;
    private final Map<String, MemorySegment> programs = new ConcurrentHashMap<>();

    ClPrograms(ClContext ctx, Path cacheDir) {
        this.ctx = ctx;
        this.cacheDir = cacheDir;
    }

    /** The default cache: {@code $XDG_CACHE_HOME/bloomj/opencl}, else {@code ~/.cache/bloomj/opencl}. */
    static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("bloomj").resolve("opencl");
    }

    static String source(String file) {
        String path = "/kernels/opencl/" + file;
        try (InputStream in = ClPrograms.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("kernel file " + path + " is missing from the bloomj jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The built program for {@code file} with these options (built or loaded from cache on first request). */
    MemorySegment program(String file, String options) {
        return programs.computeIfAbsent(file + "\u0000" + options, k -> build(file, options));
    }

    private MemorySegment build(String file, String options) {
        String src = source("common.cl") + "\n#line 1\n" + source(file);
        String key = sha256(src + "\u0000" + options + "\u0000" + ctx.device.cacheKey());
        Path cached = cacheDir == null ? null : cacheDir.resolve(key + ".bin");
        if (cached != null && Files.isRegularFile(cached)) {
            MemorySegment p = fromBinary(cached, file, options);
            if (p != null) return p;
        }
        MemorySegment program;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment strings = a.allocate(ValueLayout.ADDRESS);
            strings.set(ValueLayout.ADDRESS, 0, a.allocateFrom(src));
            program = (MemorySegment) call(ctx.cl.clCreateProgramWithSource, ctx.context, 1, strings, MemorySegment.NULL, err);
            checkErr(err, "clCreateProgramWithSource(" + file + ")");
        }
        compile(program, file, options);
        if (cached != null) saveBinary(program, cached);
        return program;
    }

    private void compile(MemorySegment program, String file, String options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devices = a.allocate(ValueLayout.ADDRESS);
            devices.set(ValueLayout.ADDRESS, 0, ctx.device.id());
            int status = (int) call(ctx.cl.clBuildProgram, program, 1, devices, a.allocateFrom(options), MemorySegment.NULL,
                    MemorySegment.NULL);
            if (status != OpenCl.CL_SUCCESS) {
                String log = buildLog(program);
                ctx.cl.release(ctx.cl.clReleaseProgram, program);
                throw new KernelBuildException(file + " " + options, ctx.device.name(), status, log);
            }
        }
    }

    private String buildLog(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            call(ctx.cl.clGetProgramBuildInfo, program, ctx.device.id(), OpenCl.CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size);
            long n = size.get(ValueLayout.JAVA_LONG, 0);
            if (n <= 1) return "(the compiler left no log)";
            MemorySegment buf = a.allocate(n + 1);
            call(ctx.cl.clGetProgramBuildInfo, program, ctx.device.id(), OpenCl.CL_PROGRAM_BUILD_LOG, n, buf, MemorySegment.NULL);
            return buf.getString(0, StandardCharsets.UTF_8);
        }
    }

    /** A program from a cached binary, or null when the driver no longer accepts it (then it is rebuilt). */
    private MemorySegment fromBinary(Path cached, String file, String options) {
        try (Arena a = Arena.ofConfined()) {
            byte[] bytes = Files.readAllBytes(cached);
            MemorySegment err = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment devices = a.allocate(ValueLayout.ADDRESS);
            devices.set(ValueLayout.ADDRESS, 0, ctx.device.id());
            MemorySegment lengths = a.allocate(ValueLayout.JAVA_LONG);
            lengths.set(ValueLayout.JAVA_LONG, 0, bytes.length);
            MemorySegment binaries = a.allocate(ValueLayout.ADDRESS);
            binaries.set(ValueLayout.ADDRESS, 0, a.allocateFrom(ValueLayout.JAVA_BYTE, bytes));
            MemorySegment status = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment program = (MemorySegment) call(ctx.cl.clCreateProgramWithBinary, ctx.context, 1, devices, lengths,
                    binaries, status, err);
            if (err.get(ValueLayout.JAVA_INT, 0) != OpenCl.CL_SUCCESS) return null;
            try {
                compile(program, file, options);
                return program;
            } catch (KernelBuildException e) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
    }

    private void saveBinary(MemorySegment program, Path cached) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sizes = a.allocate(ValueLayout.JAVA_LONG);
            check((int) call(ctx.cl.clGetProgramInfo, program, OpenCl.CL_PROGRAM_BINARY_SIZES, 8L, sizes, MemorySegment.NULL),
                    "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)");
            long n = sizes.get(ValueLayout.JAVA_LONG, 0);
            if (n <= 0) return;
            MemorySegment buf = a.allocate(n);
            MemorySegment ptrs = a.allocate(ValueLayout.ADDRESS);
            ptrs.set(ValueLayout.ADDRESS, 0, buf);
            check((int) call(ctx.cl.clGetProgramInfo, program, OpenCl.CL_PROGRAM_BINARIES, 8L, ptrs, MemorySegment.NULL),
                    "clGetProgramInfo(CL_PROGRAM_BINARIES)");
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), "build-", ".tmp");
            Files.write(tmp, buf.toArray(ValueLayout.JAVA_BYTE));
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // The cache only saves time: a read-only home or a full disk must not stop the run.
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (MemorySegment p : programs.values()) ctx.cl.release(ctx.cl.clReleaseProgram, p);
        programs.clear();
    }
}
