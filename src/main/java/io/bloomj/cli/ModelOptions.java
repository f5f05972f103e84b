package io.bloomj.cli;

import io.bloomj.api.Bloom;
import io.bloomj.api.BloomModel;
import io.bloomj.api.LoadOptions;
import io.bloomj.api.WeightFormat;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.compute.Backends;
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

    @Mixin
    VerboseOption verbose;

    LoadOptions loadOptions() {
        int t = Backends.threads(threads);
        return LoadOptions.defaults().withBackend(backend).withDevice(device).withThreads(t).withContextLength(context).withBatchSize(batchSize)
                .withWeights(WeightFormat.fromCli(weights));
    }

    /** Loads the model; long work (weight upload to a device) shows progress on {@code err}. */
    BloomModel load(PrintWriter err) {
        ProgressListener progress = Progress.listener(err);
        return Bloom.load(ModelLocator.locate(model, progress), loadOptions(), progress);
    }

    /** The model's local folder (downloading it if it is a Hub id). */
    Path folder(PrintWriter err) {
        return ModelLocator.locate(model, Progress.listener(err));
    }
}
