package io.bloomj.compute.cpu;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The CPU sampler's top-k threshold against a full sort, ties and negative keys included. */
class SampleKernelTest {
    @Test
    void kthLargestIsTheKthElementOfTheDescendingSort() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(300);
            int[] keys = new int[n];
            // few distinct values, so most trials have ties across the k-th position
            for (int i = 0; i < n; i++) keys[i] = trial % 2 == 0 ? r.nextInt(9) - 4 : r.nextInt();
            int[] sorted = keys.clone();
            Arrays.sort(sorted);
            for (int k : new int[] {1, Math.min(2, n), Math.max(1, n / 3), n}) {
                int[] heap = new int[n];
                assertEquals(sorted[n - k], SampleKernel.kthLargest(keys, n, k, heap), "n=" + n + " k=" + k);
            }
        }
    }
}
