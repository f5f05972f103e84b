package io.bloomj.cli;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.compute.Backends;
import io.bloomj.compute.MatmulMode;
import io.bloomj.hub.HubDownloader;
import io.bloomj.hub.ModelLocator;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * Options shared by every command that runs a model. Defaults come from {@code tornado.env}
 * through system properties set by the launcher ({@code bloomj.backend}, {@code bloomj.threads}).
 */
final class ModelOptions {
    @Option(names = "--model", defaultValue = HubDownloader.DEFAULT_MODEL, paramLabel = "DIR|REPO",
            description = {"A Hugging Face BLOOM model folder (config.json + safetensors), or a Hub repo id org/name[@revision],",
                    "downloaded once into the huggingface_hub cache (default: ${DEFAULT-VALUE})."})
    String model;

    @Option(names = "--backend", defaultValue = "${sys:bloomj.backend:-cpu}",
            description = "Compute backend: cpu, opencl, cuda or another on the class path, see bloomj devices (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "${sys:bloomj.device:-0}",
            description = "Device number of a device backend, as listed by 'bloomj devices' (default: ${DEFAULT-VALUE}).")
    int device;

    @Option(names = {"-t", "--threads"}, defaultValue = "${sys:bloomj.threads:-0}",
            description = "CPU threads; 0 = all available cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = {"-c", "--context-length"}, defaultValue = "2048",
            description = "KV cache length in tokens (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "512",
            description = "Most prompt tokens per prefill step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--weights", defaultValue = "checkpoint", paramLabel = "checkpoint|q8_0",
            description = {"How to hold the weight matrices: as the checkpoint stores them, or q8_0 (int8 blocks of 32 with an fp16",
                    "scale, quantized at load time: about half the bytes per token) (default: ${DEFAULT-VALUE})."})
    String weights;

    @Option(names = "--matmul", defaultValue = "exact", paramLabel = "exact|bf16",
            description = {"Prompt rows' matmuls: exact (fp32 activations, the reference's tolerances) or bf16 (activations rounded to bf16",
                    "in oneDNN's GEMM where the CPU has bf16 dot products, as llama.cpp and PyTorch do; elsewhere says why and runs exact)",
                    "(default: ${DEFAULT-VALUE})."})
    String matmul;

    @Mixin
    VerboseOption verbose;

    LoadOptions loadOptions() {
        int t = Backends.threads(threads);
        return LoadOptions.defaults().withBackend(backend).withDevice(device).withThreads(t).withContextLength(context).withBatchSize(batchSize)
                .withWeights(WeightFormat.fromCli(weights)).withMatmul(MatmulMode.fromCli(matmul));
    }

    /** Loads the model; long work (weight upload to a device) shows progress on {@code err}. */
    BloomModel load(PrintWriter err) {
        ProgressListener progress = Progress.listener(err);
        BloomModel loaded = Bloom.load(ModelLocator.locate(model, progress), loadOptions(), progress);
        reportMatmul(loaded, err);
        return loaded;
    }

    /** One line on {@code err} when {@code --matmul bf16} was asked but the exact path runs, saying why. */
    static void reportMatmul(BloomModel model, PrintWriter err) {
        String note = model.matmulNote();
        if (note != null) {
            err.println("bloomj: --matmul bf16 falls back to the exact matmuls: " + note);
            err.flush();
        }
    }

    /** The model's local folder (downloading it if it is a Hub id). */
    Path folder(PrintWriter err) {
        return ModelLocator.locate(model, Progress.listener(err));
    }
}
