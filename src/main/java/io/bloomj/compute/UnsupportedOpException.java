package io.bloomj.compute;

import io.bloomj.BloomjException;

/** A graph holds an op a backend has no kernel for (a dtype, a shape beyond its kernels' limits). */
public final class UnsupportedOpException extends BloomjException {
    private final transient Op op;

    public UnsupportedOpException(String backend, Op op) {
        super("the " + backend + " backend cannot run op " + op.kind() + " " + describe(op));
        this.op = op;
    }

    public Op op() {
        return op;
    }

    private static String describe(Op op) {
        return "(reads " + op.inputs() + ", writes " + op.outputs() + ")";
    }
}
