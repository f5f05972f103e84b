package io.bloomj.cli;

import io.bloomj.hub.HubDownloader;
import io.bloomj.hub.RepoId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "download", mixinStandardHelpOptions = true,
        description = {"Download a BLOOM model from the Hugging Face Hub into the huggingface_hub cache without running it",
                "(config, generation config, tokenizer files and safetensors weights; nothing else). Prints the snapshot folder.",
                "Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE."})
final class DownloadCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", defaultValue = HubDownloader.DEFAULT_MODEL, paramLabel = "REPO[@REV]",
            description = "Repository id, optionally @revision (default: ${DEFAULT-VALUE}).")
    String repo;

    @Option(names = "--refresh", description = "Ask the Hub what the revision points to now, even if it is cached.")
    boolean refresh;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Path snapshot = HubDownloader.fromEnvironment(Progress.listener(spec.commandLine().getErr())).resolve(RepoId.parse(repo), refresh);
        spec.commandLine().getOut().println(snapshot);
        return 0;
    }
}
