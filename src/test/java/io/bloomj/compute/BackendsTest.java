package io.bloomj.compute;

import io.bloomj.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends are found through their providers (ServiceLoader), never named by class outside their packages. */
class BackendsTest {
    @Test
    void theThreeProvidersAreFoundInOrder() {
        assertEquals(List.of("cpu", "opencl", "cuda"), Backends.names());
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Backends.open("vulkan", BackendOptions.defaults()));
        assertEquals("unknown backend 'vulkan'; available: cpu, opencl, cuda", e.getMessage());
    }

    @Test
    void theCpuProviderOpensWithTheThreadsAsked() {
        BackendProvider cpu = Backends.provider("cpu");
        assertEquals(null, cpu.unavailableReason());
        DeviceInfo only = cpu.devices().getFirst();
        assertTrue(only.usable());
        assertEquals(Backends.defaultThreads(), only.fields().get("threads"));
        try (Backend b = Backends.open("cpu", new BackendOptions(0, 3, null, null))) {
            assertEquals("cpu", b.name());
            assertTrue(b.description().contains("3 thread(s)"), b.description());
        }
    }

    @Test
    void aProviderThatCannotRunHereSaysWhyAndListsNothingUsable() {
        for (BackendProvider p : Backends.providers()) {
            String why = p.unavailableReason();
            if (why == null) continue;
            assertFalse(why.isBlank(), p.name());
            assertTrue(p.devices().stream().noneMatch(DeviceInfo::usable), p.name() + " lists a usable device although: " + why);
            io.bloomj.BloomjException e = assertThrows(io.bloomj.BloomjException.class, () -> p.open(BackendOptions.defaults()).close());
            assertTrue(e.getMessage().contains(why) || e.getMessage().contains("no OpenCL"), p.name() + ": " + e.getMessage());
        }
    }
}
