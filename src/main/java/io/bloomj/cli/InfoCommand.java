package io.bloomj.cli;

import io.bloomj.api.BloomModel;
import io.bloomj.tensor.DType;
import io.bloomj.api.MemoryPlan;
import io.bloomj.model.BloomConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a checkpoint: config, parameter count, weight bytes, memory for a context length.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (BloomModel m = model.load(spec.commandLine().getErr())) {
            BloomConfig c = m.config();
            MemoryPlan mem = m.memoryPlan(m.options().contextLength());
            long weights = m.weightBytesPerToken();
            long panels = m.weightCopyBytes();   // the CPU backend's panels, made at the first session
            if (json) {
                try (Json j = new Json(out)) {
                    j.field("model", model.model)
                            .field("vocab_size", c.vocabSize()).field("hidden_size", c.hiddenSize())
                            .field("n_layer", c.numLayers()).field("n_head", c.numHeads()).field("head_dim", c.headDim())
                            .field("layer_norm_epsilon", c.layerNormEpsilon())
                            .field("apply_residual_connection_post_layernorm", c.applyResidualConnectionPostLayernorm())
                            .field("tie_word_embeddings", c.tieWordEmbeddings())
                            .field("eos_token_id", c.eosTokenId())
                            .field("parameters", c.parameterCount()).field("weight_bytes", weights)
                            .field("weight_dtype", m.weightDtype())
                            .field("weight_bytes_bf16", m.weights().bytesPerToken(DType.BF16))
                            .field("weight_bytes_q8_0", m.weights().bytesPerToken(DType.Q8_0))
                            .field("context", m.options().contextLength())
                            .field("kv_cache_bytes", mem.kvCacheBytes()).field("activation_bytes", mem.activationBytes())
                            .field("memory_bytes", weights + mem.kvCacheBytes() + mem.activationBytes())
                            .field("cpu_panel_bytes", panels);
                }
            } else {
                out.printf("model        %s%n", model.model);
                out.printf("shape        vocab %d, hidden %d, %d layers, %d heads of %d%n", c.vocabSize(), c.hiddenSize(),
                        c.numLayers(), c.numHeads(), c.headDim());
                out.printf("layer norm   eps %g, residual from %s%n", c.layerNormEpsilon(),
                        c.applyResidualConnectionPostLayernorm() ? "post-LN output" : "LN input");
                out.printf("lm head      %s%n", c.tieWordEmbeddings() ? "tied to word embeddings" : "separate lm_head.weight");
                out.printf("tokens       bos %d, eos %d, pad %d, unk %d%n", c.bosTokenId(), c.eosTokenId(), c.padTokenId(), c.unkTokenId());
                out.printf("parameters   %,d (%.2f B)%n", c.parameterCount(), c.parameterCount() / 1e9);
                out.printf("weights      %s in %s (read once per decoded token); %s in bf16, %s in q8_0%n", Sizes.bytes(weights),
                        m.weightDtype().toLowerCase(java.util.Locale.ROOT), Sizes.bytes(m.weights().bytesPerToken(DType.BF16)),
                        Sizes.bytes(m.weights().bytesPerToken(DType.Q8_0)));
                out.printf("memory       %s = weights (mapped) + KV cache %s for %d tokens + activations %s%n",
                        Sizes.bytes(weights + mem.kvCacheBytes() + mem.activationBytes()), Sizes.bytes(mem.kvCacheBytes()),
                        m.options().contextLength(), Sizes.bytes(mem.activationBytes()));
                out.printf("backend      %s%n", m.backendDescription());
                if (panels > 0) {
                    out.printf("cpu copy     bf16 matrices repacked into panels when the first session starts: about %s more host memory%n"
                            + "             (checked against what the system has; -Dbloomj.cpu.repack=false reads them in place)%n", Sizes.bytes(panels));
                }
            }
        }
        return 0;
    }
}
