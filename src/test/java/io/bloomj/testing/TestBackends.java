package io.bloomj.testing;

import io.bloomj.compute.Backend;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.compute.cpu.CpuBackend;
import io.bloomj.compute.cuda.CudaBackend;
import io.bloomj.compute.opencl.KernelStyle;
import io.bloomj.compute.opencl.OpenClBackend;
import org.junit.jupiter.api.Assumptions;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The backends tests run against: the CPU backend (1 and 3 threads with bf16 matrices repacked into
 * panels, 2 threads reading them in place) and, where an OpenCL device
 * exists, the OpenCL backend in both kernel styles (on PoCL the GPU-style kernels run too, so
 * both sets are checked on every machine). Where OpenCL is absent the OpenCL tests are skipped
 * with the reason; with {@code BLOOMJ_REQUIRE_OPENCL=1} (set by CI) they fail instead.
 */
public final class TestBackends {
    private TestBackends() {}

    public record Named(String name, Supplier<Backend> open) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Null when OpenCL can be used here, else why not. */
    public static String openClUnavailable() {
        return OpenClBackend.unavailableReason();
    }

    /** Skips (or, in CI, fails) the calling test when there is no OpenCL device. */
    public static void assumeOpenCl() {
        requireOrSkip("OpenCL", openClUnavailable(), "1".equals(System.getenv("BLOOMJ_REQUIRE_OPENCL")));
    }

    /**
     * Nothing when {@code why} is null (the backend can run); otherwise skips the calling test with
     * the reason, or fails it when the backend is {@code required} (CI for OpenCL, gpu-check.sh for CUDA).
     */
    public static void requireOrSkip(String backend, String why, boolean required) {
        if (why != null && required) {
            throw new AssertionError("BLOOMJ_REQUIRE_" + backend.toUpperCase(java.util.Locale.ROOT) + "=1 but " + backend
                    + " is unavailable: " + why);
        }
        Assumptions.assumeTrue(why == null, backend + " tests skipped: " + why);
    }

    public static List<Named> openCl() {
        return List.of(
                new Named("opencl (cpu-style kernels)", () -> OpenClBackend.open(0, KernelStyle.CPU, ProgressListener.NONE)),
                new Named("opencl (gpu-style kernels)", () -> OpenClBackend.open(0, KernelStyle.GPU, ProgressListener.NONE)));
    }

    /** Null when a CUDA GPU can be used here, else why not. */
    public static String cudaUnavailable() {
        return CudaBackend.unavailableReason();
    }

    /** Skips (or, with {@code BLOOMJ_REQUIRE_CUDA=1}, fails) the calling test when there is no usable GPU. */
    public static void assumeCuda() {
        requireOrSkip("CUDA", cudaUnavailable(), "1".equals(System.getenv("BLOOMJ_REQUIRE_CUDA")));
    }

    /** Every backend available here. */
    public static List<Named> all() {
        List<Named> list = new ArrayList<>();
        list.add(new Named("cpu, 1 thread", () -> new CpuBackend(1)));
        list.add(new Named("cpu, 3 threads", () -> new CpuBackend(3)));
        list.add(new Named("cpu, 2 threads, bf16 matrices read in place", () -> CpuBackend.inPlace(2)));
        if (openClUnavailable() == null) list.addAll(openCl());
        if (cudaUnavailable() == null) list.add(new Named("cuda", () -> CudaBackend.open(0, ProgressListener.NONE)));
        return list;
    }
}
