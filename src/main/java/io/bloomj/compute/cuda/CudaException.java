package io.bloomj.compute.cuda;

import io.bloomj.BloomjException;

/** A CUDA driver call that failed: names the call and the CUresult. */
public final class CudaException extends BloomjException {
    private final int code;

    public CudaException(String call, int code, String name) {
        super(call + " failed: " + name + " (" + code + ")");
        this.code = code;
    }

    /** The CUresult. */
    public int code() {
        return code;
    }
}
