package io.bloomj.tensor;

/** Progress of long work (weight upload, ...), in bytes. Called on the working thread. */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = (stage, done, total) -> { };

    /**
     * @param stage what is in progress ("uploading weights to ...")
     * @param done  bytes done so far
     * @param total bytes in all
     */
    void progress(String stage, long done, long total);
}
