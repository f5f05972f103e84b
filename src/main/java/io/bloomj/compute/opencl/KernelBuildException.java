package io.bloomj.compute.opencl;

/** A kernel source that the device's compiler rejected: carries the compiler's build log. */
public final class KernelBuildException extends OpenClException {
    private final String log;

    public KernelBuildException(String file, String device, int code, String log) {
        super("clBuildProgram(" + file + " for " + device + ")", code, "\n--- build log ---\n" + log.strip());
        this.log = log;
    }

    public String buildLog() {
        return log;
    }
}
