package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * The sum of two or more activations of the same shape, {@code z = Σ_i c_i x_i} (PyTorch {@code a + b + ...}; the
 * coefficients c_i are 1 for the graph op "add", {@code [1, α]} for a residual block's {@code x + α·g(x)}).
 * No parameters; linear, so no second-order term of its own.
 */
public final class Add implements FanInLayer {
  private final int[] shape;
  private final int size;
  private final double[] coefficients;

  /** An add of {@code coefficients.length} inputs of the given sample shape. */
  public Add(int[] shape, double... coefficients) {
    if (coefficients.length < 2) throw new IllegalArgumentException("add: expected at least 2 inputs, got " + coefficients.length);
    for (double c : coefficients) if (!Double.isFinite(c)) throw new IllegalArgumentException("add: coefficients must be finite, got " + c);
    this.shape = shape.clone();
    this.size = Sizes.product(shape, "add: shape " + Arrays.toString(shape));
    this.coefficients = coefficients.clone();
  }

  /** c_i. */
  public double coefficient(int i) {
    return coefficients[i];
  }

  @Override public String type() { return "add"; }
  @Override public int inputCount() { return coefficients.length; }
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

  /** out[0..n) = Σ_i c_i in_i, skipping null inputs (zero); all null gives zeros. */
  @Float32Twin
  public void combine(double[][] in, double[] out, int n) {
    boolean first = true;
    for (int i = 0; i < in.length; i++) {
      if (in[i] == null) continue;
      double c = coefficients[i];
      double[] x = in[i];
      if (first) {
        if (c == 1.0) System.arraycopy(x, 0, out, 0, n);
        else for (int e = 0; e < n; e++) out[e] = c * x[e];
        first = false;
      } else if (c == 1.0) {
        for (int e = 0; e < n; e++) out[e] += x[e];
      } else {
        for (int e = 0; e < n; e++) out[e] += c * x[e];
      }
    }
    if (first) Arrays.fill(out, 0, n, 0.0);
  }

  /** out_i = c_i · g for every non-null out_i. */
  @Float32Twin
  public void spread(double[] g, double[][] out, int n) {
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) continue;
      double c = coefficients[i];
      if (c == 1.0) System.arraycopy(g, 0, out[i], 0, n);
      else for (int e = 0; e < n; e++) out[i][e] = c * g[e];
    }
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[][] xs, double[] z, int batch, LayerContext ctx) {
    combine(xs, z, batch * size);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[][] xs, double[] z, double[] gOut, double[][] gIns,
                       double[] gTheta, int batch, LayerContext ctx) {
    spread(gOut, gIns, batch * size);
  }

  /** The description type "add" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("add"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      double[] ones = new double[in.size()];
      java.util.Arrays.fill(ones, 1.0);
      return new Add(in.get(0), ones);
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void combine(float[][] in, float[] out, int n) {
    boolean first = true;
    for (int i = 0; i < in.length; i++) {
      if (in[i] == null)
        continue;
      double c = coefficients[i];
      float[] x = in[i];
      if (first) {
        if (c == 1.0)
          System.arraycopy(x, 0, out, 0, n);
        else
          for (int e = 0; e < n; e++) out[e] = (float) (c * x[e]);
        first = false;
      } else if (c == 1.0) {
        for (int e = 0; e < n; e++) out[e] += x[e];
      } else {
        for (int e = 0; e < n; e++) out[e] += c * x[e];
      }
    }
    if (first)
      Arrays.fill(out, 0, n, 0.0f);
  }

  public void spread(float[] g, float[][] out, int n) {
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null)
        continue;
      double c = coefficients[i];
      if (c == 1.0)
        System.arraycopy(g, 0, out[i], 0, n);
      else
        for (int e = 0; e < n; e++) out[i][e] = (float) (c * g[e]);
    }
  }

  @Override
  public void forward(float[] theta, int off, float[][] xs, float[] z, int batch, LayerContext ctx) {
    combine(xs, z, batch * size);
  }

  @Override
  public void backward(float[] theta, int off, float[][] xs, float[] z, float[] gOut, float[][] gIns, float[] gTheta, int batch, LayerContext ctx) {
    spread(gOut, gIns, batch * size);
  }
  // ---- end of generated float32 twins ----
}
