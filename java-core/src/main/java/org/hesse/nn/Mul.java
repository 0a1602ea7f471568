package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * The element-wise product of two activations of the same shape, {@code z = a ⊙ b} (PyTorch {@code a * b}, gating).
 * Parameter-free and bilinear: its second derivative couples the two inputs.
 */
public final class Mul implements FanInLayer {
  private final int[] shape;
  private final int size;

  public Mul(int[] shape) {
    this.shape = shape.clone();
    this.size = Sizes.product(shape, "mul: shape " + Arrays.toString(shape));
  }

  @Override public String type() { return "mul"; }
  @Override public int inputCount() { return 2; }
  @Override public int inputSize() { return size; }
  @Override public int[] inputShape(int i) { return shape.clone(); }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    return m;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[][] xs, double[] z, int batch, LayerContext ctx) {
    double[] a = xs[0];
    double[] b = xs[1];
    for (int i = 0, n = batch * size; i < n; i++) z[i] = a[i] * b[i];
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[][] xs, double[] z, double[] gOut, double[][] gIns,
                       double[] gTheta, int batch, LayerContext ctx) {
    int n = batch * size;
    if (gIns[0] != null) for (int i = 0; i < n; i++) gIns[0][i] = gOut[i] * xs[1][i];
    if (gIns[1] != null) for (int i = 0; i < n; i++) gIns[1][i] = gOut[i] * xs[0][i];
  }

  /** The description type "mul" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("mul"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Mul(in.get(0));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[][] xs, float[] z, int batch, LayerContext ctx) {
    float[] a = xs[0];
    float[] b = xs[1];
    for (int i = 0, n = batch * size; i < n; i++) z[i] = (float) (a[i] * b[i]);
  }

  @Override
  public void backward(float[] theta, int off, float[][] xs, float[] z, float[] gOut, float[][] gIns, float[] gTheta, int batch, LayerContext ctx) {
    int n = batch * size;
    if (gIns[0] != null)
      for (int i = 0; i < n; i++) gIns[0][i] = (float) (gOut[i] * xs[1][i]);
    if (gIns[1] != null)
      for (int i = 0; i < n; i++) gIns[1][i] = (float) (gOut[i] * xs[0][i]);
  }
  // ---- end of generated float32 twins ----
}
