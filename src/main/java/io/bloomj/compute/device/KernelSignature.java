package io.bloomj.compute.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parameters of one device kernel function, by name and type, in declaration order: the single
 * place where the host knows a kernel's argument list. Written next to the kernel source's own
 * signature (OpenCL checks it against the compiled kernel when it creates it; a test checks the CUDA
 * ones against the .cu files), and bound by name through {@link KernelArgs}.
 *
 * @param function the kernel function's name
 * @param params   its parameters, {@link Param#index()} = position
 */
public record KernelSignature(String function, List<Param> params) {
    /** How a parameter is passed. */
    public enum Type {
        /** A device buffer (pointer / {@code cl_mem}). */
        BUFFER,
        /** A 32-bit int. */
        INT,
        /** A 64-bit unsigned or signed long. */
        LONG,
        /** A 32-bit float. */
        FLOAT,
        /** An OpenCL {@code __local} buffer: only its size is passed. */
        LOCAL
    }

    public record Param(int index, String name, Type type) {}

    public KernelSignature {
        params = List.copyOf(params);
    }

    /**
     * Parses a declaration such as {@code "buffer W, buffer x, int rows, float eps, local scratch"}.
     */
    public static KernelSignature of(String function, String declaration) {
        List<Param> params = new ArrayList<>();
        for (String part : declaration.split(",")) {
            String[] typeAndName = part.trim().split("\\s+");
            if (typeAndName.length != 2) throw new IllegalArgumentException(function + ": cannot parse parameter '" + part.trim() + "'");
            Type type = Type.valueOf(typeAndName[0].toUpperCase(Locale.ROOT));
            String name = typeAndName[1];
            for (Param p : params) {
                if (p.name().equals(name)) throw new IllegalArgumentException(function + ": parameter '" + name + "' declared twice");
            }
            params.add(new Param(params.size(), name, type));
        }
        return new KernelSignature(function, params);
    }

    /** The parameter called {@code name}; an unknown name is a programming error, reported with the names that exist. */
    public Param param(String name) {
        for (Param p : params) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("kernel " + function + " has no parameter '" + name + "' (it has " + names() + ")");
    }

    public List<String> names() {
        return params.stream().map(Param::name).toList();
    }

    public int size() {
        return params.size();
    }
}
