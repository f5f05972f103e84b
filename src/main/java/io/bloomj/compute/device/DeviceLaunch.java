package io.bloomj.compute.device;

import io.bloomj.compute.Step;

/**
 * One recorded launch of a device kernel: its arguments (bound by name once, when recorded), what
 * changes per step, and when it runs. A backend subclasses it with its function handle and launch
 * geometry and implements {@link #enqueue}.
 */
public abstract class DeviceLaunch implements AutoCloseable {
    /** Sets the arguments that change from step to step (rows, position, sampling values). */
    @FunctionalInterface
    public interface PerStep {
        PerStep NONE = (a, s) -> { };

        void set(KernelArgs args, Step step);

        /**
         * An int argument computed from the step. The parameter is looked up by name here, once, when
         * the launch is recorded, not at every step (a decode step sets a few hundred of these).
         */
        static PerStep i32(KernelSignature sig, String name, java.util.function.ToIntFunction<Step> value) {
            KernelSignature.Param p = sig.param(name);
            return (a, s) -> a.i32(p, value.applyAsInt(s));
        }

        /**
         * The sampling values of a sample kernel ({@code row, temperature, top_k, top_p, min_p, penalty,
         * seed, counter}: the same names in kernels/opencl and kernels/cuda), from the step's
         * {@link io.bloomj.compute.SamplingParams}; the kernel runs only in sampling steps.
         */
        static PerStep sampling(KernelSignature sig) {
            KernelSignature.Param row = sig.param("row"), temperature = sig.param("temperature"), topK = sig.param("top_k");
            KernelSignature.Param topP = sig.param("top_p"), minP = sig.param("min_p"), penalty = sig.param("penalty");
            KernelSignature.Param seed = sig.param("seed"), counter = sig.param("counter");
            return (a, s) -> {
                var p = s.sampling();
                a.i32(row, s.logitRows() - 1).f32(temperature, p.temperature()).i32(topK, p.topK()).f32(topP, p.topP())
                        .f32(minP, p.minP()).f32(penalty, p.repetitionPenalty()).i64(seed, p.seed()).i64(counter, p.counter());
            };
        }

        /** {@link #sampling} for logits row {@code i} of a batched step, with that row's own values. */
        static PerStep samplingRow(KernelSignature sig, int i) {
            KernelSignature.Param row = sig.param("row"), temperature = sig.param("temperature"), topK = sig.param("top_k");
            KernelSignature.Param topP = sig.param("top_p"), minP = sig.param("min_p"), penalty = sig.param("penalty");
            KernelSignature.Param seed = sig.param("seed"), counter = sig.param("counter");
            return (a, s) -> {
                var p = s.samplings()[i];
                if (p == null) return;
                a.i32(row, i).f32(temperature, p.temperature()).i32(topK, p.topK()).f32(topP, p.topP())
                        .f32(minP, p.minP()).f32(penalty, p.repetitionPenalty()).i64(seed, p.seed()).i64(counter, p.counter());
            };
        }

        /** The LM head reads only the step's last logit rows: its x offset ({@code xoff}, rows of K) and row count. */
        static PerStep lastRows(KernelSignature sig, int K) {
            return i32(sig, "xoff", s -> (s.rows() - s.logitRows()) * K).and(i32(sig, "rows", Step::logitRows));
        }

        default PerStep and(PerStep next) {
            return (a, s) -> {
                set(a, s);
                next.set(a, s);
            };
        }
    }

    /** A launch's device time, read after the step has finished. */
    @FunctionalInterface
    public interface Timing {
        long nanos();
    }

    protected final Launch source;
    protected final KernelArgs args;
    private final PerStep perStep;
    private final long weightBytes;
    private java.util.function.Predicate<Step> onlyIn = s -> true;

    /**
     * @param source      the lowered launch this came from (when it runs, its profile name)
     * @param weightBytes weight bytes this launch reads (a block's share when the weight is split)
     */
    protected DeviceLaunch(Launch source, KernelArgs args, PerStep perStep, long weightBytes) {
        args.requireComplete();
        this.source = source;
        this.args = args;
        this.perStep = perStep;
        this.weightBytes = weightBytes;
    }

    public final Launch source() {
        return source;
    }

    /** Narrows the steps this launch runs in, beyond its lowered launch's {@link When} (one launch per logits row, say). */
    public final DeviceLaunch onlyIn(java.util.function.Predicate<Step> steps) {
        this.onlyIn = steps;
        return this;
    }

    /** Whether this launch runs in {@code step}. */
    public final boolean runsIn(Step step) {
        return source.runsIn(step) && onlyIn.test(step);
    }

    public final long weightBytes() {
        return weightBytes;
    }

    public final String function() {
        return args.signature().function();
    }

    /** Sets this step's arguments and enqueues the kernel; returns its timing when {@code timed}, else null. */
    public final Timing run(Step step, boolean timed) {
        perStep.set(args, step);
        return enqueue(step, timed);
    }

    /** Puts the kernel on the device's queue with the current arguments. */
    protected abstract Timing enqueue(Step step, boolean timed);

    @Override
    public void close() {
    }
}
