package io.bloomj.testing;

import java.util.Map;

/**
 * An independent, naive BLOOM forward pass in double precision, written from transformers'
 * {@code modeling_bloom.py} and sharing no code with the engine: plain loops, full recomputation
 * of the whole sequence, no cache. The yardstick every backend is held to.
 */
public final class ReferenceBloom {
    private final Map<String, TestTensor> w;
    private final int hidden, layers, heads, headDim, vocab;
    private final boolean postLn;
    private final boolean tied;
    private final double eps = 1e-5;

    public ReferenceBloom(TinyBloom spec, Map<String, TestTensor> tensors) {
        this.w = tensors;
        this.hidden = spec.hidden();
        this.layers = spec.layers();
        this.heads = spec.heads();
        this.headDim = hidden / heads;
        this.vocab = spec.vocab();
        this.postLn = spec.postLn();
        this.tied = spec.tied();
    }

    /** transformers' build_alibi_tensor slopes, computed with floating-point logs as Python does. */
    public static double[] slopes(int n) {
        int closest = (int) Math.pow(2, Math.floor(Math.log(n) / Math.log(2)));
        double base = Math.pow(2, -Math.pow(2, -(Math.log(closest) / Math.log(2) - 3)));
        double[] s = new double[n];
        for (int i = 1; i <= closest; i++) s[i - 1] = Math.pow(base, i);
        if (closest != n) {
            double extraBase = Math.pow(2, -Math.pow(2, -(Math.log(2 * closest) / Math.log(2) - 3)));
            int remaining = Math.min(closest, n - closest);
            for (int i = 0; i < remaining; i++) s[closest + i] = Math.pow(extraBase, 1 + 2 * i);
        }
        return s;
    }

    /** Logits at every position: {@code [tokens.length][vocab]}. */
    public double[][] logits(int[] tokens) {
        int n = tokens.length;
        TestTensor emb = w.get("word_embeddings.weight");
        double[][] x = new double[n][hidden];
        for (int t = 0; t < n; t++) for (int i = 0; i < hidden; i++) x[t][i] = emb.at(tokens[t], i);
        x = layerNorm(x, "word_embeddings_layernorm");
        double[] slopes = slopes(heads);
        for (int l = 0; l < layers; l++) {
            String p = "h." + l + ".";
            double[][] ln1 = layerNorm(x, p + "input_layernorm");
            double[][] residual = postLn ? ln1 : x;
            double[][] qkv = linear(ln1, p + "self_attention.query_key_value");
            double[][] ctx = new double[n][hidden];
            for (int h = 0; h < heads; h++) {
                int qo = h * 3 * headDim, ko = qo + headDim, vo = qo + 2 * headDim;
                for (int i = 0; i < n; i++) {
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) dot += qkv[i][qo + d] * qkv[j][ko + d];
                        scores[j] = dot / Math.sqrt(headDim) + slopes[h] * j;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) sum += scores[j] = Math.exp(scores[j] - max);
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < headDim; d++) ctx[i][h * headDim + d] += scores[j] / sum * qkv[j][vo + d];
                    }
                }
            }
            double[][] attnOut = add(linear(ctx, p + "self_attention.dense"), residual);
            double[][] ln2 = layerNorm(attnOut, p + "post_attention_layernorm");
            double[][] residual2 = postLn ? ln2 : attnOut;
            double[][] up = linear(ln2, p + "mlp.dense_h_to_4h");
            for (double[] row : up) {
                for (int i = 0; i < row.length; i++) {
                    double v = row[i];
                    row[i] = v * 0.5 * (1.0 + Math.tanh(0.79788456 * v * (1 + 0.044715 * v * v)));
                }
            }
            x = add(linear(up, p + "mlp.dense_4h_to_h"), residual2);
        }
        x = layerNorm(x, "ln_f");
        TestTensor head = w.get(tied ? "word_embeddings.weight" : "lm_head.weight");
        double[][] logits = new double[n][vocab];
        for (int t = 0; t < n; t++) {
            for (int v = 0; v < vocab; v++) {
                double s = 0;
                for (int i = 0; i < hidden; i++) s += head.at(v, i) * x[t][i];
                logits[t][v] = s;
            }
        }
        return logits;
    }

    /** Greedy continuation by full recomputation at every step (argmax, lowest id on ties). */
    public int[] greedy(int[] prompt, int newTokens) {
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + newTokens);
        for (int k = 0; k < newTokens; k++) {
            double[][] lg = logits(java.util.Arrays.copyOf(seq, prompt.length + k));
            double[] last = lg[lg.length - 1];
            int best = 0;
            for (int v = 1; v < last.length; v++) if (last[v] > last[best]) best = v;
            seq[prompt.length + k] = best;
        }
        return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    private double[][] layerNorm(double[][] x, String name) {
        TestTensor g = w.get(name + ".weight"), b = w.get(name + ".bias");
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v;
            mean /= x[t].length;
            for (double v : x[t]) var += (v - mean) * (v - mean);
            var /= x[t].length;
            y[t] = new double[x[t].length];
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * g.values()[i] + b.values()[i];
            }
        }
        return y;
    }

    private double[][] linear(double[][] x, String name) {
        TestTensor m = w.get(name + ".weight"), b = w.get(name + ".bias");
        double[][] y = new double[x.length][m.rows()];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < m.rows(); o++) {
                double s = b.values()[o];
                for (int i = 0; i < m.cols(); i++) s += m.at(o, i) * x[t][i];
                y[t][o] = s;
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) for (int i = 0; i < a[t].length; i++) y[t][i] = a[t][i] + b[t][i];
        return y;
    }
}
