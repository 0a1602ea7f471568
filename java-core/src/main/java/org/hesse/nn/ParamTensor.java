package org.hesse.nn;

import java.util.Arrays;

/** A named parameter tensor of a layer: its local name ("weight"), shape, and offset inside the layer's block. */
public final class ParamTensor {
  public final String name;
  public final int[] shape;
  public final int offset;

  private final int size;

  /** Refuses (before anything is allocated) a tensor of more values than one Java array holds. */
  public ParamTensor(String name, int offset, int... shape) {
    this.name = name;
    this.offset = offset;
    this.shape = shape.clone();
    this.size = Sizes.product(this.shape, "tensor '" + name + "' " + Arrays.toString(shape));
  }

  public int size() {
    return size;
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
