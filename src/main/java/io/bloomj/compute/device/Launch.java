package io.bloomj.compute.device;

import io.bloomj.compute.Step;

/**
 * One entry of a lowered graph: a {@link Kernel}, the steps it runs in, the name its time is
 * profiled under ({@code matmul+gelu} for a fused pair) and the weight bytes it reads per step (for
 * GB/s next to every timing).
 */
public record Launch(Kernel kernel, When when, String profileName, long weightBytes) {
    public boolean runsIn(Step step) {
        return when.test(step);
    }
}
