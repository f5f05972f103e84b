package io.bloomj.compute.cpu;

/** Index of the largest value of a row, ties to the lowest index (as {@code torch.argmax}). */
final class ArgmaxKernel {
    private ArgmaxKernel() {}

    static int row(float[] values, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
        return best;
    }
}
