package io.bloomj.api;

import io.bloomj.compute.Backend;
import io.bloomj.tensor.ProgressListener;
import io.bloomj.compute.BackendOptions;
import io.bloomj.compute.Backends;
import io.bloomj.hub.ModelLocator;
import io.bloomj.model.BloomWeights;
import io.bloomj.model.Checkpoint;
import io.bloomj.tensor.DType;
import io.bloomj.tokenizer.BloomTokenizer;

import java.lang.foreign.Arena;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Entry point of the library.
 *
 * <pre>{@code
 * try (BloomModel model = Bloom.load(Path.of("/models/bloomz-3b-dpo-chat"), LoadOptions.defaults())) {
 *     GenerationResult r = model.generate(new int[] {1, 5, 9}, 32);
 *     System.out.println(Arrays.toString(r.tokens()) + " " + r.finishReason());
 * }
 * }</pre>
 */
public final class Bloom {
    /** Backend names accepted by {@link LoadOptions#backend()}: every {@link io.bloomj.compute.BackendProvider} on the class path. */
    public static List<String> backends() {
        return Backends.names();
    }

    private Bloom() {}

    /**
     * Opens a Hugging Face BLOOM checkpoint folder (config.json and safetensors weights, and
     * tokenizer.json when present), checks every tensor against the config and the tokenizer
     * against the embedding, and prepares the backend.
     *
     * @throws io.bloomj.CheckpointException when the folder, config or weights are unusable
     */
    public static BloomModel load(Path dir, LoadOptions options) {
        return load(dir, options, ProgressListener.NONE);
    }

    /**
     * As {@link #load(Path, LoadOptions)}, reporting long work (weight upload to a device, which
     * happens when the first session is created) to {@code progress}.
     */
    public static BloomModel load(Path dir, LoadOptions options, ProgressListener progress) {
        return load(dir, options, openBackend(options, progress));
    }

    /**
     * Loads onto a backend the caller opened and configured (for example an OpenCL backend with a
     * chosen kernel style). The model takes ownership: closing it closes the backend.
     * {@link LoadOptions#backend()} and {@link LoadOptions#threads()} are ignored.
     */
    public static BloomModel load(Path dir, LoadOptions options, Backend backend) {
        Checkpoint checkpoint = null;
        Arena quantized = null;
        try {
            checkpoint = Checkpoint.open(dir);
            BloomWeights weights = BloomWeights.from(checkpoint);
            if (options.weights() == WeightFormat.Q8_0 && weights.matrixDtype() != DType.Q8_0) {
                quantized = Arena.ofShared();
                weights = weights.quantized(quantized, options.threads());
            }
            BloomTokenizer tokenizer = null;
            if (Files.exists(dir.resolve(BloomTokenizer.FILE))) {
                tokenizer = BloomTokenizer.load(dir);
                try {
                    tokenizer.checkFits(checkpoint.config().vocabSize());
                } catch (RuntimeException e) {
                    tokenizer.close();
                    throw e;
                }
            }
            return new BloomModel(checkpoint, weights, quantized, backend, options, tokenizer);
        } catch (RuntimeException e) {
            if (quantized != null) quantized.close();
            if (checkpoint != null) checkpoint.close();
            backend.close();
            throw e;
        }
    }

    public static BloomModel load(Path dir) {
        return load(dir, LoadOptions.defaults());
    }

    /**
     * Loads a model folder or a Hugging Face Hub model ({@code "cmarkea/bloomz-3b-dpo-chat"},
     * {@code "org/name@revision"}), downloading it into the huggingface_hub cache once.
     */
    public static BloomModel load(String model, LoadOptions options, ProgressListener progress) {
        return load(ModelLocator.locate(model, progress), options, progress);
    }

    /**
     * Opens the backend {@code options} names ({@link LoadOptions#backend()}, device, threads), for
     * callers that run graphs of their own (benchmarks) or share one backend between models. A
     * device backend that cannot run here throws with the reason.
     */
    public static Backend openBackend(LoadOptions options, ProgressListener progress) {
        return Backends.open(options.backend(), new BackendOptions(options.device(), options.threads(), options.matmul(), progress));
    }
}
