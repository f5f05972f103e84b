package io.bloomj.compute.device;

import io.bloomj.compute.Backend;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.tensor.Weight;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns a {@link Graph} into the {@link Launch}es a device backend records, once, for every device
 * backend: each op becomes a {@link Kernel}; a pair becomes one fused kernel when the backend
 * declares the {@link Fusion} and the graph permits it; a matmul becomes a GEMV launch over a
 * step's decode rows and a GEMM launch over its prompt rows. Every op is first checked with
 * {@link Backend#supports}, so an unsupported op fails here, before any memory is allocated.
 */
public final class Lowering {
    private Lowering() {}

    public static List<Launch> lower(Graph graph, Backend backend, Set<Fusion> fusions) {
        backend.requireSupported(graph);
        List<Op> ops = graph.ops();
        List<Launch> out = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) i += lower(graph, i, fusions, out);
        return List.copyOf(out);
    }

    /** Appends the launches of ops[i] (and of the op it fuses with); returns how many following ops it consumed. */
    private static int lower(Graph graph, int i, Set<Fusion> fusions, List<Launch> out) {
        List<Op> ops = graph.ops();
        Op op = ops.get(i);
        Op next = i + 1 < ops.size() ? ops.get(i + 1) : null;
        switch (op) {
            case Op.Embedding e -> out.add(new Launch(new Kernel.Embedding(e.table(), e.out()), When.ALWAYS, "embedding", 0));
            case Op.LayerNorm n -> out.add(new Launch(new Kernel.LayerNorm(n.in(), n.gamma(), n.beta(), n.eps(), n.out()), When.ALWAYS,
                    "layer_norm", n.gamma().byteSize() + n.beta().byteSize()));
            case Op.Matmul m -> {
                if (fusions.contains(Fusion.MATMUL_GELU) && next instanceof Op.Gelu g && g.in().equals(m.out()) && g.out().equals(m.out())) {
                    matmul(m, Kernel.Epilogue.GELU, null, m.out(), "matmul+gelu", out);
                    return 1;
                }
                if (fusions.contains(Fusion.MATMUL_RESIDUAL) && next instanceof Op.Add a && a.a().equals(m.out())
                        && !a.b().equals(m.out()) && graph.unreadAfter(i + 1, m.out())) {
                    matmul(m, Kernel.Epilogue.RESIDUAL, a.b(), a.out(), "matmul+add", out);
                    return 1;
                }
                matmul(m, Kernel.Epilogue.NONE, null, m.out(), "matmul", out);
            }
            case Op.LmHead h -> {
                long bytes = h.table().byteSize();
                if (fusions.contains(Fusion.LM_HEAD_ARGMAX) && next instanceof Op.Argmax a && a.logits().equals(h.logits())) {
                    out.add(new Launch(new Kernel.LmHeadArgmax(h.in(), h.table(), h.logits(), a.token()), When.ALWAYS, "lm_head+argmax", bytes));
                    return 1;
                }
                out.add(new Launch(new Kernel.LmHead(h.in(), h.table(), h.logits()), When.ALWAYS, "lm_head", bytes));
            }
            case Op.Argmax a -> out.add(new Launch(new Kernel.Argmax(a.logits(), a.token()), When.ALWAYS, "argmax", 0));
            case Op.Sample s -> {
                out.add(new Launch(new Kernel.MarkSeen(s.seen()), When.ALWAYS, "sample", 0));
                out.add(new Launch(new Kernel.Sample(s.logits(), s.seen(), s.token()), When.SAMPLING, "sample", 0));
            }
            case Op.Gelu g -> out.add(new Launch(new Kernel.Gelu(g.in(), g.out()), When.ALWAYS, "gelu", 0));
            case Op.Add a -> out.add(new Launch(new Kernel.Add(a.a(), a.b(), a.out()), When.ALWAYS, "add", 0));
            case Op.KvStore k -> out.add(new Launch(new Kernel.KvStore(k.qkv(), k.heads(), k.headDim(), k.q(), k.kCache(), k.vCache()),
                    When.ALWAYS, "kv_store", 0));
            case Op.AlibiAttention a -> out.add(new Launch(new Kernel.AlibiAttention(a.q(), a.kCache(), a.vCache(), a.heads(),
                    a.headDim(), a.slopes(), a.scale(), a.out()), When.ALWAYS, "alibi_attention", 0));
        }
        return 0;
    }

    private static void matmul(Op.Matmul m, Kernel.Epilogue epilogue, io.bloomj.compute.Buffer residual, io.bloomj.compute.Buffer out,
                               String profileName, List<Launch> launches) {
        Weight bias = m.bias();
        long bytes = m.weight().byteSize() + (bias == null ? 0 : bias.byteSize());
        for (Kernel.Variant v : Kernel.Variant.values()) {
            launches.add(new Launch(new Kernel.Matmul(v, m.in(), m.weight(), bias, epilogue, residual, out),
                    v == Kernel.Variant.GEMV ? When.DECODE_ROWS : When.PROMPT_ROWS, profileName, bytes));
        }
    }
}
