package io.bloomj;

import java.nio.file.Path;

/** A checkpoint folder or file that cannot be used: names the file and, where known, the tensor. */
public final class CheckpointException extends BloomjException {
    private final Path file;
    private final String tensor;

    public CheckpointException(Path file, String tensor, String problem) {
        super(describe(file, tensor, problem));
        this.file = file;
        this.tensor = tensor;
    }

    public CheckpointException(Path file, String problem) {
        this(file, null, problem);
    }

    public CheckpointException(Path file, String problem, Throwable cause) {
        super(describe(file, null, problem), cause);
        this.file = file;
        this.tensor = null;
    }

    private static String describe(Path file, String tensor, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) sb.append(file).append(": ");
        if (tensor != null) sb.append("tensor '").append(tensor).append("': ");
        return sb.append(problem).toString();
    }

    /** The offending file, or null when the problem is not tied to one file. */
    public Path file() {
        return file;
    }

    /** The offending tensor name, or null. */
    public String tensor() {
        return tensor;
    }
}
