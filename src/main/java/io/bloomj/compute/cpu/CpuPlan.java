package io.bloomj.compute.cpu;

import io.bloomj.ClosedException;
import io.bloomj.compute.Buffer;
import io.bloomj.compute.ExecutionPlan;
import io.bloomj.compute.Graph;
import io.bloomj.compute.Op;
import io.bloomj.compute.Profile;
import io.bloomj.compute.SamplingParams;
import io.bloomj.compute.Step;
import io.bloomj.compute.StepBounds;
import io.bloomj.compute.StepResult;
import io.bloomj.compute.cpu.onednn.OneDnnGemm;
import io.bloomj.tensor.Weight;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph bound to fp32 arrays: each op becomes a task closed over its arrays once, so a step is a
 * plain loop over tasks with no lookups.
 */
final class CpuPlan implements ExecutionPlan {
    /** Elementwise loops shorter than this stay on one thread (dispatch costs more than it saves). */
    private static final int ELEMENTWISE_GRAIN = 1 << 14;

    private interface Task {
        void run(Step step);
    }

    private final CpuBackend backend;
    private final ThreadTeam team;
    private final Map<Buffer, float[]> arrays = new HashMap<>();
    private final List<Task> tasks = new ArrayList<>();
    private final List<Op> ops;
    private final long[] weightBytes;
    private final Profile profile = new Profile();
    private boolean profiling;
    private final float[][] scratch;
    private final StepBounds bounds;
    /**
     * Decode rows' inputs in the GEMV's layout ({@link MatmulKernel#pack}), shared by the step's
     * matmuls; sized for the graph's sequences and grown if a step brings more decode rows.
     */
    private float[] packed;
    /** The LM head's input rows, gathered. */
    private final float[] gathered;
    /** Buffers shared with the backend's other plans (steps of one backend never overlap). */
    private final java.util.Set<Buffer> intermediates;

    CpuPlan(CpuBackend backend, Graph graph) {
        this.backend = backend;
        this.team = backend.team();
        int scratchFloats = 0;
        this.intermediates = graph.intermediates();
        for (Buffer b : graph.buffers()) {
            if (b.elements() > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("buffer " + b + " exceeds the CPU backend's 2^31 elements per buffer");
            }
            arrays.put(b, intermediates.contains(b) ? backend.acquireShared(b) : new float[(int) b.elements()]);
        }
        ops = graph.ops();
        bounds = StepBounds.of(graph);
        int decodeRows = Math.min(graph.maxRows(), bounds.slots() == Integer.MAX_VALUE ? 1 : bounds.slots());
        long packFloats = 0, gatherFloats = 0;
        for (Op op : ops) {
            // matrices in panels read their inputs as they are: only the in-place kernels pack them
            if (op instanceof Op.Matmul m && backend.panels(m.weight()) == null) {
                packFloats = Math.max(packFloats, (long) decodeRows * MatmulKernel.packedFloats(m.weight().dtype(), m.weight().cols()));
            }
            if (op instanceof Op.LmHead h) {
                gatherFloats = Math.max(gatherFloats, (long) h.logits().rows() * h.table().cols());
                if (backend.panels(h.table()) == null) {
                    packFloats = Math.max(packFloats, (long) h.logits().rows() * MatmulKernel.packedFloats(h.table().dtype(), h.table().cols()));
                }
            }
        }
        if (packFloats > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many rows for the CPU backend's buffers");
        packed = new float[(int) packFloats];
        gathered = new float[(int) gatherFloats];
        weightBytes = new long[ops.size()];
        for (int i = 0; i < ops.size(); i++) weightBytes[i] = weightBytesRead(ops.get(i));
        for (Op op : graph.ops()) {
            scratchFloats = Math.max(scratchFloats, scratchNeed(op, decodeRows));
            tasks.add(compile(op));
        }
        scratch = new float[team.size()][Math.max(scratchFloats, Vectors.L)];   // GELU's exp and layer norm's lane sums go through L floats
    }

    /** Weight bytes an op reads per step (matrices once per step whatever the row count). */
    private static long weightBytesRead(Op op) {
        return switch (op) {
            case Op.Matmul m -> m.weight().byteSize() + (m.bias() == null ? 0 : m.bias().byteSize());
            case Op.LmHead h -> h.table().byteSize();
            case Op.LayerNorm n -> n.gamma().byteSize() + n.beta().byteSize();
            default -> 0;
        };
    }

    private static int scratchNeed(Op op, int decodeRows) {
        return switch (op) {
            case Op.Matmul m -> MatmulKernel.scratchFloats(m.weight().cols(), decodeRows);
            case Op.LmHead h -> MatmulKernel.scratchFloats(h.table().cols(), h.logits().rows());
            case Op.AlibiAttention a -> AlibiAttentionKernel.scratchFloats(a.capacity() * (long) a.blocks(), a.headDim());
            default -> 0;
        };
    }

    private Task compile(Op op) {
        return switch (op) {
            case Op.Embedding e -> embedding(e);
            case Op.LayerNorm n -> layerNorm(n);
            case Op.Matmul m -> matMul(m);
            case Op.LmHead h -> lmHead(h);
            case Op.Gelu g -> gelu(g);
            case Op.Add a -> elementwise(a.out().cols(), (s, e) -> AddKernel.range(array(a.a()), array(a.b()), array(a.out()), s, e));
            case Op.KvStore k -> kvStore(k);
            case Op.AlibiAttention a -> attention(a);
            case Op.Argmax a -> argmax(a);
            case Op.Sample sm -> sample(sm);
        };
    }

    private float[] array(Buffer b) {
        return arrays.get(b);
    }

    private Task embedding(Op.Embedding e) {
        float[] out = array(e.out());
        return step -> EmbeddingKernel.rows(e.table(), step.tokens(), out);
    }

    private Task layerNorm(Op.LayerNorm n) {
        float[] in = array(n.in()), out = array(n.out());
        float[] gamma = backend.vector(n.gamma()), beta = backend.vector(n.beta());
        int cols = n.in().cols();
        float eps = n.eps();
        ThreadTeam.ContextTask<Step> rows = (step, s, e, w) -> {
            for (int r = s; r < e; r++) LayerNormKernel.row(in, r * cols, cols, gamma, beta, eps, out, r * cols, scratch[w]);
        };
        return step -> team.parallelFor(step.rows(), 1, step, rows);
    }

    /** Output columns are split between threads in multiples of 16 (whole cache lines of y, so threads never share one). */
    private Task matMul(Op.Matmul m) {
        Weight w = m.weight();
        float[] bias = backend.vector(m.bias()), in = array(m.in()), out = array(m.out());
        int outCols = m.out().cols(), k = w.cols();
        java.lang.foreign.MemorySegment panels = backend.panels(w);
        boolean packs = panels == null && MatmulKernel.packs(w.dtype(), k);
        OneDnnGemm gemm = backend.nativeGemm(w.dtype());
        // Bodies built once here and given the step (packed is written before each loop starts): a step allocates nothing.
        ThreadTeam.ContextTask<Step> pack = (step, r0, r1, t) -> {
            for (int r = r0; r < r1; r++) MatmulKernel.pack(w.dtype(), in, 0, r, k, packed);
        };
        // Prompt rows go to the native GEMM when there is one (--matmul bf16); decode rows never do.
        ThreadTeam.ContextTask<Step> run = (step, o0, o1, t) -> MatmulKernel.run(w, panels, bias, in, 0,
                gemm == null ? step.rows() : step.decodeRows(), step.decodeRows(), packed, out, 0, outCols, o0, o1, scratch[t]);
        return step -> {
            int d = step.decodeRows();
            if (d > 1 && packs) {
                packedFor((long) d * MatmulKernel.packedFloats(w.dtype(), k));
                team.parallelFor(d, 1, step, pack);
            }
            int rows = gemm == null ? step.rows() : d;
            if (rows > 0) team.parallelFor(w.rows(), 16, step, run);
            if (gemm != null && step.rows() > d) gemm.run(w, bias, in, d * k, step.rows() - d, out, d * outCols, outCols);
        };
    }

    /** The rows that need logits are gathered first, then run through the GEMV of all of them at once. */
    private Task lmHead(Op.LmHead h) {
        Weight table = h.table();
        float[] in = array(h.in()), logits = array(h.logits());
        int ld = h.logits().cols(), k = table.cols();
        java.lang.foreign.MemorySegment panels = backend.panels(table);
        boolean packs = panels == null && MatmulKernel.packs(table.dtype(), k);
        ThreadTeam.ContextTask<Step> range = (step, o0, o1, t) ->
                LmHeadKernel.range(table, panels, gathered, step.logitRows(), packed, logits, ld, o0, o1, scratch[t]);
        return step -> {
            int n = step.logitRows();
            int[] rows = step.logitRowIndex();
            for (int i = 0; i < n; i++) System.arraycopy(in, rows[i] * k, gathered, i * k, k);
            if (n > 1 && packs) {
                float[] p = packedFor((long) n * MatmulKernel.packedFloats(table.dtype(), k));
                for (int i = 0; i < n; i++) MatmulKernel.pack(table.dtype(), gathered, 0, i, k, p);
            }
            team.parallelFor(table.rows(), 16, step, range);
        };
    }

    /** {@link #packed}, at least {@code floats} long. */
    private float[] packedFor(long floats) {
        if (floats > packed.length) {
            if (floats > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many decode rows for the CPU backend's buffers");
            packed = new float[(int) floats];
        }
        return packed;
    }

    private interface Range {
        void run(int from, int to);
    }

    private Task elementwise(int cols, Range body) {
        ThreadTeam.ContextTask<Step> range = (step, s, e, w) -> body.run(s, e);
        return step -> team.parallelFor(step.rows() * cols, ELEMENTWISE_GRAIN, step, range);
    }

    private Task gelu(Op.Gelu g) {
        float[] in = array(g.in()), out = array(g.out());
        ThreadTeam.ContextTask<Step> range = (step, s, e, w) -> GeluKernel.range(in, out, s, e, scratch[w]);
        return step -> team.parallelFor(step.rows() * g.in().cols(), ELEMENTWISE_GRAIN, step, range);
    }

    private Task kvStore(Op.KvStore k) {
        float[] qkv = array(k.qkv()), q = array(k.q()), kc = array(k.kCache()), vc = array(k.vCache());
        // Split by head: the transposed key writes touch headDim cache lines per head and
        // position, mostly misses after a token's weight stream; the threads wait on them in parallel.
        ThreadTeam.ContextTask<Step> heads = (step, h0, h1, t) ->
                KvStoreKernel.heads(qkv, q, kc, vc, k.heads(), k.headDim(), k.capacity(), step, h0, h1);
        return step -> team.parallelFor(k.heads(), 1, step, heads);
    }

    private Task argmax(Op.Argmax a) {
        float[] logits = array(a.logits()), token = array(a.token());
        int vocab = a.logits().cols();
        return step -> {
            for (int r = 0; r < step.logitRows(); r++) token[r] = ArgmaxKernel.row(logits, r * vocab, vocab);
        };
    }

    private Task sample(Op.Sample sm) {
        float[] logits = array(sm.logits()), token = array(sm.token()), seen = array(sm.seen());
        int vocab = sm.logits().cols();
        SampleKernel.Scratch work = new SampleKernel.Scratch(vocab);
        return step -> {
            int[] tokens = step.tokens(), slots = step.slots();
            for (int r = 0; r < tokens.length; r++) seen[slots[r] * vocab + tokens[r]] = 1f;
            SamplingParams[] draws = step.samplings();
            for (int i = 0; i < draws.length; i++) {
                if (draws[i] == null) continue;
                int slot = slots[step.logitRowIndex()[i]];
                token[i] = SampleKernel.sample(logits, i * vocab, vocab, seen, slot * vocab, draws[i], work);
            }
        };
    }

    /**
     * Work items are (group of up to {@link AlibiAttentionKernel#ROWS} consecutive rows of one
     * sequence, head); rows of different sequences never share a group, each reads its own blocks.
     */
    private Task attention(Op.AlibiAttention a) {
        float[] q = array(a.q()), kc = array(a.kCache()), vc = array(a.vCache()), out = array(a.out());
        int heads = a.heads(), hd = a.headDim();
        int blockSize = a.capacity();
        int width = heads * hd;
        float[] slopes = a.slopes();
        float scale = a.scale();
        int block = AlibiAttentionKernel.ROWS;
        int[] groups = new int[bounds.maxRows() + 1];
        ThreadTeam.ContextTask<Step> work = (step, s, e, t) -> {
            int[] slots = step.slots();
            for (int i = s; i < e; i++) {
                int g = i / heads, h = i % heads;
                int r0 = groups[g], rows = groups[g + 1] - r0;
                AlibiAttentionKernel.attend(q, r0 * width + h * hd, width, rows, kc, vc, step, slots[r0], h, heads, blockSize,
                        step.positions()[r0] + 1, hd, scale, slopes[h], scratch[t], out, r0 * width + h * hd, width);
            }
        };
        return step -> {
            int count = 0;
            int[] slots = step.slots();
            for (int r = 0; r < step.rows(); r++) {
                if (r == 0 || slots[r] != slots[r - 1] || r - groups[count - 1] == block) groups[count++] = r;
            }
            groups[count] = step.rows();
            team.parallelFor(count * heads, 1, step, work);
        };
    }

    @Override
    public StepResult execute(Step step) {
        bounds.check(step);
        // One step at a time per backend: plans of the same backend share its thread team.
        synchronized (team) {
            if (team.isClosed()) throw new ClosedException("the CPU backend");
            if (!profiling) {
                for (Task t : tasks) t.run(step);
                return StepResult.unprofiled();
            }
            Profile stepProfile = new Profile();
            for (int i = 0; i < tasks.size(); i++) {
                long t0 = System.nanoTime();
                tasks.get(i).run(step);
                long nanos = System.nanoTime() - t0;
                profile.record(ops.get(i).kind(), nanos, weightBytes[i]);
                stepProfile.record(ops.get(i).kind(), nanos, weightBytes[i]);
            }
            return new StepResult(stepProfile);
        }
    }

    @Override
    public void setProfiling(boolean enabled) {
        profiling = enabled;
    }

    @Override
    public Profile profile() {
        return profile;
    }

    @Override
    public void read(Buffer buffer, int rows, float[] dst) {
        System.arraycopy(arrays.get(buffer), 0, dst, 0, rows * buffer.cols());
    }

    @Override
    public void write(Buffer buffer, int rows, float[] src) {
        System.arraycopy(src, 0, arrays.get(buffer), 0, rows * buffer.cols());
    }

    @Override
    public void writeRows(Buffer buffer, int firstRow, int rows, float[] src) {
        synchronized (team) {
            System.arraycopy(src, 0, arrays.get(buffer), firstRow * buffer.cols(), rows * buffer.cols());
        }
    }

    @Override
    public void close() {
        synchronized (team) {
            for (Buffer b : arrays.keySet()) if (intermediates.contains(b)) backend.releaseShared(b);
        }
        arrays.clear();
    }
}
