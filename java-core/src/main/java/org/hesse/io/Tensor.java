package org.hesse.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor as stored in a safetensors file: its on-disk dtype, its shape and its values converted to
 * {@code double}, row-major (C order, last index fastest), as PyTorch lays them out.
 *
 * <p>Integer dtypes wider than 53 bits (I64, U64) lose precision above 2^53 when converted to double.
 */
public record Tensor(String name, String dtype, long[] shape, double[] data) {

    public Tensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        long n = numel(shape, name);
        if (n != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " has " + n + " elements, data has " + data.length);
        }
        shape = shape.clone();
    }

    /** A float64 tensor (the dtype Hesse writes by default). */
    public static Tensor f64(String name, long[] shape, double[] data) {
        return new Tensor(name, "F64", shape, data);
    }

    /** Number of elements, the product of the shape (1 for a scalar, shape {@code []}). */
    public long numel() {
        return data.length;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    long[] shapeRef() {
        return shape;
    }

    /** The backing array, not a copy: callers that only read avoid a copy of every weight matrix. */
    @Override
    public double[] data() {
        return data;
    }

    static long numel(long[] shape, String name) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, s);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "Tensor[" + name + ", " + dtype + ", " + Arrays.toString(shape) + "]";
    }
}
