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
