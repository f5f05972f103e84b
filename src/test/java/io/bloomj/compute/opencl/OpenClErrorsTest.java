package io.bloomj.compute.opencl;

import io.bloomj.BloomjException;
import io.bloomj.InsufficientMemoryException;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.UnsupportedOpException;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.testing.TestBackends;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clear errors from the OpenCL backend: compiler log, memory arithmetic, device numbers; the binary cache. */
class OpenClErrorsTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void requireOpenCl() {
        TestBackends.assumeOpenCl();
    }

    @Test
    void failedKernelBuildCarriesTheCompilerLog() {
        ClDevice device = ClDevice.discover().getFirst();
        try (ClContext ctx = new ClContext(OpenCl.load().orElseThrow(), device); ClPrograms programs = new ClPrograms(ctx, null)) {
            // alibi_attention.cl needs -DHD=<head dim>; without it the compiler must complain about HD.
            KernelBuildException e = assertThrows(KernelBuildException.class, () -> programs.program("alibi_attention.cl", "-cl-std=CL1.2"));
            assertTrue(e.getMessage().contains("alibi_attention.cl"), e.getMessage());
            assertTrue(e.getMessage().contains("build log"), e.getMessage());
            assertTrue(e.buildLog().contains("HD"), e.buildLog());
            assertEquals(OpenCl.CL_BUILD_PROGRAM_FAILURE, e.code());
        }
    }

    @Test
    void unknownDeviceNumber() {
        BloomjException e = assertThrows(BloomjException.class, () -> OpenClBackend.open(99, KernelStyle.AUTO, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("no OpenCL device 99"), e.getMessage());
        assertTrue(e.getMessage().contains("bloomj devices"), e.getMessage());
    }

    @Test
    void bufferLargerThanTheLargestAllocation() {
        try (OpenClBackend cl = OpenClBackend.open(0, KernelStyle.AUTO, tmp, ProgressListener.NONE)) {
            long max = cl.device().maxAllocation();
            int cols = 1 << 20;
            int rows = (int) (max / 4 / cols) + 1;
            Buffer big = new Buffer("kv_cache", rows, cols);
            InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class,
                    () -> cl.plan(new Graph(List.of(new Op.Gelu(big, big)), rows, big, null, Set.of())));
            assertTrue(e.needed() > e.available(), e.getMessage());
            assertTrue(e.getMessage().contains("kv_cache") && e.getMessage().contains("needs") && e.getMessage().contains("has"), e.getMessage());
        }
    }

    @Test
    void sessionLargerThanTheDevice() {
        try (OpenClBackend cl = OpenClBackend.open(0, KernelStyle.AUTO, tmp, ProgressListener.NONE)) {
            long max = cl.device().maxAllocation();
            int cols = 1 << 20;
            int rows = (int) (max / 4 / cols);           // each buffer just fits one allocation
            int count = (int) (cl.device().globalMemory() / ((long) rows * cols * 4)) + 1;
            List<Op> ops = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                Buffer b = new Buffer("b" + i, rows, cols);
                ops.add(new Op.Gelu(b, b));
            }
            InsufficientMemoryException e = assertThrows(InsufficientMemoryException.class,
                    () -> cl.plan(new Graph(ops, rows, new Buffer("b0", rows, cols), null, Set.of())));
            assertTrue(e.needed() > cl.device().globalMemory() - 1, e.getMessage());
            assertTrue(e.getMessage().matches(".*needs [0-9.]+ GB, the device has [0-9.]+ GB.*"), e.getMessage());
        }
    }

    @Test
    void anOpBeyondTheKernelsLimitsFailsAtPlanTimeBeforeAnyAllocation() {
        try (OpenClBackend cl = OpenClBackend.open(0, KernelStyle.AUTO, tmp, ProgressListener.NONE)) {
            int heads = 2, hd = OpenClBackend.MAX_HEAD_DIM + 1, capacity = 4;
            Buffer q = new Buffer("q", 1, heads * hd), out = new Buffer("out", 1, heads * hd);
            Buffer k = new Buffer("k_cache", heads * hd, capacity), v = new Buffer("v_cache", heads * capacity, hd);
            Op attention = new Op.AlibiAttention(q, k, v, heads, hd, new float[] {0.5f, 0.25f}, 0.1f, out);
            assertTrue(!cl.supports(attention));
            UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
                    () -> cl.plan(new Graph(List.of(attention), 1, out, null, Set.of(k, v))));
            assertTrue(e.getMessage().contains("opencl backend cannot run op alibi_attention"), e.getMessage());
            assertEquals(0, cl.peakDeviceMemory(), "nothing was allocated");
        }
    }

    @Test
    void compiledBinariesAreCachedAndACorruptCacheIsRebuilt() throws IOException {
        Path cache = tmp.resolve("cache");
        ClDevice device = ClDevice.discover().getFirst();
        OpenCl cl = OpenCl.load().orElseThrow();
        try (ClContext ctx = new ClContext(cl, device); ClPrograms programs = new ClPrograms(ctx, cache)) {
            programs.program("gelu.cl", "-cl-std=CL1.2");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(cache)) {
            files = s.toList();
        }
        assertEquals(1, files.size(), "one binary per source, options and device");
        Files.write(files.getFirst(), new byte[] {1, 2, 3});
        try (ClContext ctx = new ClContext(cl, device); ClPrograms programs = new ClPrograms(ctx, cache)) {
            new ClKernel(ctx, programs.program("gelu.cl", "-cl-std=CL1.2"), ClSignatures.GELU).close();
        }
        assertTrue(Files.size(files.getFirst()) > 3, "the corrupt binary was replaced by a fresh build");
    }
}
