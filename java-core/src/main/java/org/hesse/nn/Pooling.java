package org.hesse.nn;

import java.util.Arrays;

/**
 * What the pooling layers share: square windows, no padding, floor rounding (PyTorch's default ceil_mode False),
 * one sample {@code [C, H, W]} → {@code [C, Ho, Wo]}, no parameters.
 */
public abstract class Pooling implements Layer {
  private final String type;
  protected final int c;
  protected final int h;
  protected final int w;
  protected final int k;
  protected final int stride;
  protected final int ho;
  protected final int wo;

  Pooling(String type, int[] inShape, int kernel, int stride) {
    int[] out = outputShape(type, inShape, kernel, stride);
    this.type = type;
    this.c = inShape[0];
    this.h = inShape[1];
    this.w = inShape[2];
    this.k = kernel;
    this.stride = stride;
    this.ho = out[1];
    this.wo = out[2];
  }

  @Override public String type() { return type; }
  @Override public int inputSize() { return c * h * w; }
  @Override public int outputSize() { return c * ho * wo; }

  /** Average pooling's rule prepares nothing per batch (max pooling's keeps its winners). */
  @Override public long preparedValuesPerSample() { return 0; }

  @Override public int[] outputShape() { return new int[] {c, ho, wo}; }
  @Override public java.util.List<ParamTensor> paramTensors() { return java.util.List.of(); }

  public int kernel() { return k; }
  public int stride() { return stride; }

  @Override
  public java.util.Map<String, Object> describe() {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("type", type);
    m.put("kernel", k);
    m.put("stride", stride);
    return m;
  }

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
