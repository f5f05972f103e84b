package io.bloomj.compute.cpu;

import io.bloomj.compute.SamplingParams;

/**
 * The device sampler on the CPU, with the arithmetic the OpenCL and CUDA kernels use: thresholds
 * for top-k (the k-th largest penalised logit) and top-p (the smallest set of most likely tokens
 * whose probability reaches p) found by bisection over the logits' ordered bit patterns, min-p as a
 * closed-form threshold, and a Gumbel-max draw over the tokens at or above the highest threshold.
 * Where the kernels rescan the vocabulary at each bisection step, this version finds the top-k key
 * with a heap and bisects top-p only over the tokens still in the running, which makes sampling a
 * few linear passes per token.
 */
final class SampleKernel {
    /** The largest Gumbel noise a 24-bit uniform can give, -log(-log(1 - 2^-25)), rounded up. */
    private static final float G_MAX = 17.5f;

    private SampleKernel() {}

    static float penalised(float l, boolean seen, float penalty) {
        return !seen || penalty == 1f ? l : l < 0 ? l * penalty : l / penalty;
    }

    /** Working arrays of one sampler, vocab-sized, allocated once per plan (decode samples every token). */
    record Scratch(float[] penalised, int[] keys, int[] candidates, float[] weights) {
        Scratch(int vocab) {
            this(new float[vocab], new int[vocab], new int[vocab], new float[vocab]);
        }
    }

    static int sample(float[] logits, int off, int vocab, float[] seen, int seenOff, SamplingParams p, Scratch scratch) {
        float[] l = scratch.penalised();
        int[] key = scratch.keys();
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            l[i] = penalised(logits[off + i], seen[seenOff + i] != 0f, p.repetitionPenalty());
            key[i] = SamplingParams.sortable(l[i]);
            max = Math.max(max, l[i]);
        }
        float t = p.temperature();
        if (t == 0f) {   // greedy with a penalty: transformers applies no sampling filter
            int best = 0;
            for (int i = 1; i < vocab; i++) if (l[i] > l[best]) best = i;
            return best;
        }
        int[] idx = scratch.candidates();
        int n = vocab;
        int hi = SamplingParams.sortable(max);
        // top-k: the kernels bisect for the largest key with count(key >= it) >= k, which is the k-th
        // largest key counting ties; here one pass with a k-entry min-heap finds the same key.
        boolean topK = p.topK() > 0 && p.topK() < vocab;
        int kth = topK ? kthLargest(key, vocab, p.topK(), idx) : 0;
        for (int i = 0; i < vocab; i++) idx[i] = i;
        if (topK) n = keep(idx, n, key, kth);
        if (p.topP() < 1f) {
            float[] w = scratch.weights();
            float total = 0;
            for (int j = 0; j < n; j++) total += w[j] = (float) Math.exp((l[idx[j]] - max) / t);
            // Exact prefilter: the tokens of weight <= (1 - p) * total / n weigh at most (1 - p) * total
            // together and are the lightest, so top-p drops them all; the bisection runs on the rest.
            float floor = (1 - p.topP()) * total / n;
            int kept = 0;
            for (int j = 0; j < n; j++) {
                if (w[j] > floor) {
                    idx[kept] = idx[j];
                    w[kept++] = w[j];
                }
            }
            n = Math.max(kept, 1);
            int a = Integer.MIN_VALUE, b = hi;   // largest key whose mass at or above it is still >= p * total
            while (a < b) {
                int mid = (int) (((long) a + b + 1) >> 1);
                float m = 0;
                for (int j = 0; j < n; j++) if (key[idx[j]] >= mid) m += w[j];
                if (m >= p.topP() * total) {
                    a = mid;
                    // As for top-k: nothing below mid can come back, so the next steps skip it (the
                    // order is kept, so each sum adds the same terms in the same order).
                    int w2 = 0;
                    for (int j = 0; j < n; j++) {
                        if (key[idx[j]] >= mid) {
                            idx[w2] = idx[j];
                            w[w2++] = w[j];
                        }
                    }
                    n = w2;
                } else {
                    b = mid - 1;
                }
            }
            n = keep(idx, n, key, a);
        }
        if (p.minP() > 0f) n = keep(idx, n, key, SamplingParams.sortable(max + t * (float) Math.log(p.minP())));
        // Gumbel-max. The noise is at most G_MAX (24-bit uniforms), so a token whose l / t + G_MAX
        // cannot beat the score already reached is skipped without drawing its noise: exact, and most
        // of a large vocabulary is skipped once the likely tokens have been scored.
        int top = idx[0];
        for (int j = 1; j < n; j++) if (l[idx[j]] > l[top]) top = idx[j];
        float bestScore = l[top] / t + SamplingParams.gumbel(p.seed(), p.counter(), top);
        int best = top;
        for (int j = 0; j < n; j++) {   // idx stays in increasing order: ties go to the lower id, as on the devices
            int i = idx[j];
            if (i == top || l[i] / t + G_MAX < bestScore) continue;
            float score = l[i] / t + SamplingParams.gumbel(p.seed(), p.counter(), i);
            if (score > bestScore || (score == bestScore && i < best)) {
                best = i;
                bestScore = score;
            }
        }
        return best;
    }

    /** The k-th largest of {@code keys[0..n)} (ties counted), with {@code heap} (at least k long) as a min-heap. */
    static int kthLargest(int[] keys, int n, int k, int[] heap) {
        System.arraycopy(keys, 0, heap, 0, k);
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(heap, k, i);
        for (int i = k; i < n; i++) {
            if (keys[i] > heap[0]) {   // most of a large vocabulary fails this one comparison
                heap[0] = keys[i];
                siftDown(heap, k, 0);
            }
        }
        return heap[0];
    }

    private static void siftDown(int[] heap, int size, int i) {
        int v = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && heap[c + 1] < heap[c]) c++;
            if (heap[c] >= v) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = v;
    }

    /** Keeps, in order, the candidates whose key is at least {@code threshold}. */
    private static int keep(int[] idx, int n, int[] key, int threshold) {
        int w = 0;
        for (int j = 0; j < n; j++) if (key[idx[j]] >= threshold) idx[w++] = idx[j];
        return Math.max(w, 1);
    }
}
