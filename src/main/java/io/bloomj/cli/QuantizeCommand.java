package io.bloomj.cli;

import io.bloomj.compute.Backends;
import io.bloomj.hub.ModelLocator;
import io.bloomj.model.BloomWeights;
import io.bloomj.model.Checkpoint;
import io.bloomj.model.QuantizedCheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Write the model with every weight matrix in q8_0 (int8 blocks of 32, one fp16 scale each) to a new folder",
                "that loads like any other checkpoint, so later loads skip quantizing. Biases and LayerNorm weights keep",
                "their dtype; config and tokenizer files are copied. Refuses to write into an existing folder."})
final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|REPO", description = "The model folder or Hub repo id to quantize.")
    String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New folder to create.")
    Path out;

    @Option(names = {"-t", "--threads"}, defaultValue = "${sys:bloomj.threads:-0}", description = "Threads; 0 = all cores.")
    int threads;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Path dir = ModelLocator.locate(model, Progress.listener(err));
        int t = Backends.threads(threads);
        try (Checkpoint checkpoint = Checkpoint.open(dir); Arena arena = Arena.ofShared()) {
            BloomWeights source = BloomWeights.from(checkpoint);
            long t0 = System.nanoTime();
            BloomWeights q8 = source.quantized(arena, t);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Progress progress = new Progress(err, "writing " + out.getFileName(), QuantizedCheckpointWriter.dataBytes(q8));
            QuantizedCheckpointWriter.write(dir, q8, out, progress);
            progress.done();
            err.printf(Locale.ROOT, "quantized in %.1f s (%d threads): %s -> %s per token%n", seconds, t,
                    Sizes.bytes(source.bytesPerToken()), Sizes.bytes(q8.bytesPerToken()));
        }
        spec.commandLine().getOut().println(out.toAbsolutePath());
        return 0;
    }
}
