// Device-side token sampling (transformers' semantics) so only the token id leaves the device:
// repetition penalty on the fly for tokens marked in `seen`, then temperature, top-k, top-p and
// min-p as thresholds on the penalised logits, then a Gumbel-max draw (argmax of l / T + G_i with
// G_i from a counter-based hash of seed, counter and i: an exact sample from softmax(l / T) over the
// kept tokens). Thresholds are found by bisection over the logits' ordered bit patterns, in one
// work-group, so nothing is sorted. io.bloomj.compute.cpu.SampleKernel is the same arithmetic in Java.

inline int sortable(float f) {
    int b = as_int(f);
    return b >= 0 ? b : b ^ 0x7FFFFFFF;
}

inline float penalised(float l, float seen, float penalty) {
    return (seen == 0.0f || penalty == 1.0f) ? l : (l < 0.0f ? l * penalty : l / penalty);
}

inline float uniform01(ulong seed, ulong counter, int i) {
    ulong z = seed + 0x9E3779B97F4A7C15UL * (counter + 1UL) + 0xBF58476D1CE4E5B9UL * (ulong) (i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    z = z ^ (z >> 31);
    return ((float) (z >> 40) + 0.5f) * 0x1.0p-24f;
}

inline float group_max(float v, __local float* s) {
    int lid = get_local_id(0), n = get_local_size(0);
    s[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = n / 2; k > 0; k >>= 1) {
        if (lid < k) s[lid] = fmax(s[lid], s[lid + k]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline int group_count(int v, __local int* s) {
    int lid = get_local_id(0), n = get_local_size(0);
    s[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = n / 2; k > 0; k >>= 1) {
        if (lid < k) s[lid] += s[lid + k];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    int r = s[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

inline float mass_from(__global const float* l, __global const float* seen, int vocab, float penalty, int key, float mx, float t,
                       __local float* s) {
    float m = 0.0f;
    for (int i = get_local_id(0); i < vocab; i += get_local_size(0)) {
        float v = penalised(l[i], seen[i], penalty);
        if (sortable(v) >= key) m += exp((v - mx) / t);
    }
    return group_sum(m, s);
}

// Marks the step's tokens as seen (for the repetition penalty); runs every step.
// Marks each row's token in its sequence's row of seen [slots, vocab].
__kernel void mark_seen(__global const int* tokens, __global float* seen, int rows, __global const int* rowslot, int vocab) {
    int r = get_global_id(0);
    if (r < rows) seen[(size_t) rowslot[r] * vocab + tokens[r]] = 1.0f;
}

// One work-group (local size a power of two) draws one token from logits row `row`.
__kernel void sample(__global const float* logits, int row, int vocab, __global const float* seen_all, int seen_row,
                     __global float* token, float temperature, int top_k, float top_p, float min_p, float penalty, ulong seed,
                     ulong counter, __local float* sf, __local int* si) {
    __global const float* l = logits + (size_t) row * vocab;
    __global const float* seen = seen_all + (size_t) seen_row * vocab;
    int lid = get_local_id(0), n = get_local_size(0);
    float mx = -INFINITY, mn = INFINITY;
    for (int i = lid; i < vocab; i += n) {
        float v = penalised(l[i], seen[i], penalty);
        mx = fmax(mx, v);
        mn = fmin(mn, v);
    }
    mx = group_max(mx, sf);
    mn = -group_max(-mn, sf);
    int hi = sortable(mx);
    int thr = sortable(mn);
    bool greedy = temperature == 0.0f;   // transformers ignores the filters when it does not sample
    if (!greedy && top_k > 0 && top_k < vocab) {
        int a = thr, b = hi;
        while (a < b) {
            int mid = (int) (((long) a + b + 1) >> 1);
            int c = 0;
            for (int i = lid; i < vocab; i += n) if (sortable(penalised(l[i], seen[i], penalty)) >= mid) c++;
            if (group_count(c, si) >= top_k) a = mid; else b = mid - 1;
        }
        thr = a;
    }
    if (!greedy && top_p < 1.0f) {
        float total = mass_from(l, seen, vocab, penalty, thr, mx, temperature, sf);
        int a = thr, b = hi;
        while (a < b) {
            int mid = (int) (((long) a + b + 1) >> 1);
            if (mass_from(l, seen, vocab, penalty, mid, mx, temperature, sf) >= top_p * total) a = mid; else b = mid - 1;
        }
        thr = a;
    }
    if (!greedy && min_p > 0.0f) thr = max(thr, sortable(mx + temperature * log(min_p)));
    float best = -INFINITY;
    int bi = -1;
    for (int i = lid; i < vocab; i += n) {
        float v = penalised(l[i], seen[i], penalty);
        if (sortable(v) < thr) continue;
        float score = greedy ? v : v / temperature - log(-log(uniform01(seed, counter, i)));
        if (bi < 0 || score > best) { best = score; bi = i; }
    }
    sf[lid] = best;
    si[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k = n / 2; k > 0; k >>= 1) {
        if (lid < k) {
            int j = si[lid + k];
            if (j >= 0 && (si[lid] < 0 || sf[lid + k] > sf[lid] || (sf[lid + k] == sf[lid] && j < si[lid]))) {
                sf[lid] = sf[lid + k];
                si[lid] = j;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) token[row] = (float) si[0];
}
