package io.bloomj.cli;

import io.bloomj.tensor.DType;
import io.bloomj.model.BloomConfig;
import io.bloomj.model.ModelShape;
import io.bloomj.model.RandomCheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = {"Write a random-weight BLOOM checkpoint in the Hugging Face layout, with the real dimensions",
                "of bloom-560m or bloomz-3b, for benchmarks on machines without the real weights.",
                "Refuses to write into an existing folder."})
final class RandomModelCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, description = "tiny, 560m or 3b.")
    String shape;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New folder to create.")
    Path out;

    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        BloomConfig config = ModelShape.fromCli(shape).config();
        DType type = CliEnums.dtype(dtype);
        Progress progress = new Progress(spec.commandLine().getErr(), "writing " + out.getFileName(),
                RandomCheckpointWriter.weightBytes(config, type));
        RandomCheckpointWriter.write(config, type, seed, out, progress);
        progress.done();
        spec.commandLine().getOut().println(out.toAbsolutePath());
        return 0;
    }
}
