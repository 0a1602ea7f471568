package org.hesse.nn;

import java.util.Arrays;

/** Shape rules shared by the pooling layers (no padding, floor rounding, as PyTorch's default ceil_mode False). */
final class Pooling {
  private Pooling() {}

  /** {@code [C, floor((H − k)/s) + 1, floor((W − k)/s) + 1]}, after checking the arguments. */
  static int[] outputShape(String type, int[] inShape, int kernel, int stride) {
    if (inShape == null || inShape.length != 3) {
      throw new IllegalArgumentException(type + ": input shape must be [C, H, W] (set the model's input_shape), got "
          + Arrays.toString(inShape));
    }
    for (int d : inShape) {
      if (d <= 0) throw new IllegalArgumentException(type + ": input shape dimensions must be > 0, got " + Arrays.toString(inShape));
    }
    if (kernel <= 0) throw new IllegalArgumentException(type + ": 'kernel' must be > 0, got " + kernel);
    if (stride <= 0) throw new IllegalArgumentException(type + ": 'stride' must be > 0, got " + stride);
    if (inShape[1] < kernel || inShape[2] < kernel) {
      throw new IllegalArgumentException(type + ": kernel " + kernel + " is larger than the input "
          + inShape[1] + " × " + inShape[2]);
    }
    return new int[] {inShape[0], (inShape[1] - kernel) / stride + 1, (inShape[2] - kernel) / stride + 1};
  }
}
