package io.bloomj.compute.device;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.MemoryProbe;
import io.bloomj.compute.Op;
import io.bloomj.compute.UnsupportedOpException;
import io.bloomj.tensor.DType;
import io.bloomj.tensor.Weight;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the one lowering decides for every device backend: fusions (only declared, only when safe), variants, profile names, bytes. */
class LoweringTest {
    private static final Arena ARENA = Arena.ofAuto();

    /** A backend that only answers supports(); lowering asks nothing else. */
    record FakeBackend(Predicate<Op> supported) implements Backend {
        public String name() { return "fake"; }
        public String description() { return "fake"; }
        public boolean supports(Op op) { return supported.test(op); }
        public ExecutionPlan plan(Graph graph) { throw new UnsupportedOperationException(); }
        public MemoryProbe memoryProbe(long bytes) { throw new UnsupportedOperationException(); }
        public void close() { }
    }

    static Weight weight(String name, int... shape) {
        long[] s = new long[shape.length];
        long n = 1;
        for (int i = 0; i < shape.length; i++) n *= s[i] = shape[i];
        return new Weight(name, DType.BF16, s, ARENA.allocate(n * 2));
    }

    private final Buffer x = new Buffer("x", 4, 8), h = new Buffer("h", 4, 16), y = new Buffer("y", 4, 8), r = new Buffer("res", 4, 8);
    private final Weight up = weight("up", 16, 8), upBias = weight("up.bias", 16), down = weight("down", 8, 16);
    private final FakeBackend all = new FakeBackend(op -> true);

    /** up-projection + GELU in place, down-projection + residual: the MLP as BloomGraph writes it. */
    private Graph mlp() {
        return new Graph(List.of(new Op.Matmul(x, up, upBias, h), new Op.Gelu(h, h), new Op.Matmul(h, down, null, y), new Op.Add(y, r, r)),
                4, r, null, Set.of());
    }

    @Test
    void declaredFusionsBecomeOneKernelWithAnEpilogueAndBothVariants() {
        List<Launch> launches = Lowering.lower(mlp(), all, EnumSet.allOf(Fusion.class));
        assertEquals(4, launches.size(), launches.toString());
        Kernel.Matmul gemv = (Kernel.Matmul) launches.get(0).kernel(), gemm = (Kernel.Matmul) launches.get(1).kernel();
        assertEquals(Kernel.Variant.GEMV, gemv.variant());
        assertEquals(When.DECODE_ROWS, launches.get(0).when());
        assertEquals(Kernel.Variant.GEMM, gemm.variant());
        assertEquals(When.PROMPT_ROWS, launches.get(1).when());
        assertEquals(Kernel.Epilogue.GELU, gemv.epilogue());
        assertEquals("matmul+gelu", launches.get(0).profileName());
        assertEquals(up.byteSize() + upBias.byteSize(), launches.get(0).weightBytes());
        Kernel.Matmul res = (Kernel.Matmul) launches.get(2).kernel();
        assertEquals(Kernel.Epilogue.RESIDUAL, res.epilogue());
        assertSame(r, res.residual());
        assertSame(r, res.out(), "the fused kernel writes the Add's output");
        assertEquals("matmul+add", launches.get(2).profileName());
    }

    @Test
    void withoutDeclaredFusionsEveryOpIsItsOwnKernel() {
        List<Launch> launches = Lowering.lower(mlp(), all, Set.of());
        assertEquals(List.of("matmul", "matmul", "gelu", "matmul", "matmul", "add"), launches.stream().map(Launch::profileName).toList());
        assertNull(((Kernel.Matmul) launches.get(0).kernel()).residual());
    }

    @Test
    void aResidualIsNotFusedWhenALaterOpStillReadsTheMatmulOutput() {
        Buffer z = new Buffer("z", 4, 8);
        Graph g = new Graph(List.of(new Op.Matmul(h, down, null, y), new Op.Add(y, r, z), new Op.Add(y, z, z)), 4, z, null, Set.of());
        List<Launch> launches = Lowering.lower(g, all, EnumSet.allOf(Fusion.class));
        assertEquals(List.of("matmul", "matmul", "add", "add"), launches.stream().map(Launch::profileName).toList());
    }

    @Test
    void lmHeadAndArgmaxFuseOnlyWhenDeclared() {
        Weight table = weight("embedding", 50, 8);
        Buffer logits = new Buffer("logits", 1, 50), token = new Buffer("token", 1, 1);
        Graph g = new Graph(List.of(new Op.LmHead(x, table, logits), new Op.Argmax(logits, token)), 4, logits, token, Set.of());
        List<Launch> fused = Lowering.lower(g, all, EnumSet.of(Fusion.LM_HEAD_ARGMAX));
        assertEquals(1, fused.size());
        assertInstanceOf(Kernel.LmHeadArgmax.class, fused.getFirst().kernel());
        assertEquals(table.byteSize(), fused.getFirst().weightBytes());
        List<Launch> apart = Lowering.lower(g, all, EnumSet.of(Fusion.MATMUL_GELU));
        assertInstanceOf(Kernel.LmHead.class, apart.get(0).kernel());
        assertInstanceOf(Kernel.Argmax.class, apart.get(1).kernel());
    }

    @Test
    void samplingMarksTokensEveryStepAndDrawsOnlyInSamplingSteps() {
        Buffer logits = new Buffer("logits", 1, 50), token = new Buffer("token", 1, 1), seen = new Buffer("seen", 1, 50);
        List<Launch> launches = Lowering.lower(new Graph(List.of(new Op.Sample(logits, token, seen)), 1, logits, null, Set.of(seen)), all,
                Set.of());
        assertEquals(List.of(When.ALWAYS, When.SAMPLING), launches.stream().map(Launch::when).toList());
    }

    @Test
    void anUnsupportedOpFailsNamingTheOp() {
        FakeBackend noGelu = new FakeBackend(op -> !(op instanceof Op.Gelu));
        UnsupportedOpException e = assertThrows(UnsupportedOpException.class, () -> Lowering.lower(mlp(), noGelu, Set.of()));
        assertInstanceOf(Op.Gelu.class, e.op());
        assertTrue(e.getMessage().contains("fake backend cannot run op gelu") && e.getMessage().contains("h[4x16]"), e.getMessage());
    }
}
