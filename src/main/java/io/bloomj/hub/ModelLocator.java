package io.bloomj.hub;

import io.bloomj.InvalidInputException;
import io.bloomj.tensor.ProgressListener;

import java.nio.file.Files;
import java.nio.file.Path;

/** Turns what a user typed after {@code --model} into a local folder: the folder itself, or a Hub snapshot. */
public final class ModelLocator {
    private ModelLocator() {}

    /**
     * @param spec a model folder, or {@code org/name[@revision]} on the Hugging Face Hub
     */
    public static Path locate(String spec, ProgressListener progress) {
        Path local = Path.of(spec);
        if (Files.isDirectory(local)) return local;
        if (RepoId.looksLikeRepo(spec) && !Files.exists(local)) {
            return HubDownloader.fromEnvironment(progress).resolve(RepoId.parse(spec), false);
        }
        if (Files.exists(local)) throw new InvalidInputException(spec + " is not a folder (expected a Hugging Face model folder)");
        throw new InvalidInputException("model folder not found: " + spec + " (--model takes a model folder or a Hub repo id org/name[@revision])");
    }
}
