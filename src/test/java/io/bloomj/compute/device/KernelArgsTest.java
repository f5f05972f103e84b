package io.bloomj.compute.device;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arguments are bound by name and checked: unknown names, wrong kinds and missing values are refused with the kernel named. */
class KernelArgsTest {
    private static final KernelSignature SIG = KernelSignature.of("k", "buffer x, int rows, float eps, long seed, local scratch");

    @Test
    void valuesLandInTheSlotOfTheirParameter() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(SIG, arena).buffer("x", new DeviceBuffer(0x1234, 64, "x")).i32("rows", 7).f32("eps", 1e-5f)
                    .i64("seed", -3L).local("scratch", 256);
            a.requireComplete();
            assertEquals(0x1234, a.slot(0).get(ValueLayout.JAVA_LONG, 0));
            assertEquals(7, a.slot(1).get(ValueLayout.JAVA_INT, 0));
            assertEquals(1e-5f, a.slot(2).get(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(-3L, a.slot(3).get(ValueLayout.JAVA_LONG, 0));
            assertEquals(256, a.localBytes(4));
            assertEquals(a.slot(2).address(), a.pointers().getAtIndex(ValueLayout.ADDRESS, 2).address(), "cuLaunchKernel's pointer array");
            List<Integer> changed = new ArrayList<>();
            a.drainChanged(changed::add);
            assertEquals(List.of(0, 1, 2, 3, 4), changed);
            a.i32("rows", 8);
            changed.clear();
            a.drainChanged(changed::add);
            assertEquals(List.of(1), changed, "only what changed since the last launch is passed again");
        }
    }

    @Test
    void mistakesAreRefusedWithTheKernelNamed() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(SIG, arena);
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> a.i32("row", 1));
            assertTrue(unknown.getMessage().contains("kernel k has no parameter 'row'") && unknown.getMessage().contains("rows"),
                    unknown.getMessage());
            IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> a.f32("rows", 1f));
            assertTrue(kind.getMessage().contains("'rows' is a INT, not a FLOAT"), kind.getMessage());
            a.i32("rows", 1);
            IllegalStateException missing = assertThrows(IllegalStateException.class, a::requireComplete);
            assertEquals("kernel k: no value for [x, eps, seed, scratch]", missing.getMessage());
        }
    }

    @Test
    void declarationsAreParsedAndCheckedForDuplicates() {
        assertEquals(List.of("x", "rows", "eps", "seed", "scratch"), SIG.names());
        assertThrows(IllegalArgumentException.class, () -> KernelSignature.of("k", "buffer x, int x"));
        assertThrows(IllegalArgumentException.class, () -> KernelSignature.of("k", "pointer x"));
        assertThrows(IllegalArgumentException.class, () -> KernelSignature.of("k", "int"));
    }
}
