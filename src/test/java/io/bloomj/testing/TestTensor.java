package io.bloomj.testing;

/**
 * A tensor as the tests know it: the dtype it is stored in and its values, already rounded to that
 * dtype (so the reference computes with exactly the numbers the engine reads).
 */
public record TestTensor(String dtype, long[] shape, double[] values) {
    public int rows() {
        return (int) shape[0];
    }

    public int cols() {
        return (int) shape[shape.length - 1];
    }

    public double at(int row, int col) {
        return values[row * cols() + col];
    }
}
