package org.hesse.nn;

import java.util.Arrays;

/** A named parameter tensor of a layer: its local name ("weight"), shape, and offset inside the layer's block. */
public final class ParamTensor {
  public final String name;
  public final int[] shape;
  public final int offset;

  public ParamTensor(String name, int offset, int... shape) {
    this.name = name;
    this.offset = offset;
    this.shape = shape.clone();
  }

  public int size() {
    int n = 1;
    for (int d : shape) n *= d;
    return n;
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
