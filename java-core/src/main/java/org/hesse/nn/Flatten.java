package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.List;

/**
 * PyTorch {@code nn.Flatten()} (start_dim 1): one sample of any shape, e.g. {@code [C, H, W]}, becomes the vector
 * {@code [C·H·W]}. The memory layout (NCHW, row-major) does not change, so forward and backward are copies.
 *
 * <p>Model description: {@code {"type": "flatten"}}.
 */
public final class Flatten implements Layer {
  private final int size;

  public Flatten(int[] inShape) {
    long n = 1;
    for (int d : inShape) {
      if (d <= 0) throw new IllegalArgumentException("flatten: input shape dimensions must be > 0, got " + java.util.Arrays.toString(inShape));
      n *= d;
    }
    if (inShape.length == 0 || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("flatten: expected a non-empty input shape of fewer than 2^31 elements, got "
          + java.util.Arrays.toString(inShape));
    }
    this.size = (int) n;
  }

  @Override public String type() { return "flatten"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }

  /** Its second-order rule prepares nothing per batch. */
  @Override public long preparedValuesPerSample() { return 0; }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    System.arraycopy(x, 0, z, 0, batch * size);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta, int batch,
                       LayerContext ctx) {
    if (gIn != null) System.arraycopy(gOut, 0, gIn, 0, batch * size);
  }

  /** The description type "flatten" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("flatten"); }

    @Override
    public Layer build(org.hesse.io.LayerSpec spec, int[] in, SubLayers sub) {
      return new Flatten(in);
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    System.arraycopy(x, 0, z, 0, batch * size);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      System.arraycopy(gOut, 0, gIn, 0, batch * size);
  }
  // ---- end of generated float32 twins ----
}
