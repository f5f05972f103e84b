package io.bloomj.compute.opencl;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.testing.TinyBloom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenClModelParityTest {
    @TempDir
    Path tmp;

    @Test
    void smoke() throws Exception {
        TinyBloom.standard().writeTo(tmp);
        int[] prompt = {1, 17, 42, 5, 88, 23, 64, 9, 31, 77, 50};
        try (BloomModel cpu = Bloom.load(tmp, LoadOptions.defaults().withContextLength(64));
             BloomModel cl = Bloom.load(tmp, LoadOptions.defaults().withBackend("opencl").withContextLength(64))) {
            float[] a = cpu.logits(prompt), b = cl.logits(prompt);
            double worst = 0;
            for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
            System.out.println("max diff " + worst);
            assertTrue(worst < 1e-3);
        }
    }
}
