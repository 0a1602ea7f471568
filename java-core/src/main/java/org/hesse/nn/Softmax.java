package org.hesse.nn;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Softmax over one sample axis, {@code torch.softmax(x, dim=axis+1)}: per sample, along the axis (length L, stride
 * {@code inner}), {@code z = exp(x − max) / Σ exp(x − max)}. Parameter-free; VJP {@code z ⊙ (g − ⟨g, z⟩)}.
 */
public final class Softmax implements Layer {
  private final int[] shape;
  private final int axis;
  private final int outer;
  private final int length;
  private final int inner;
  private final int size;

  public Softmax(int[] shape, int axis) {
    int a = axis < 0 ? axis + shape.length : axis;
    if (a < 0 || a >= shape.length) {
      throw new IllegalArgumentException("softmax: 'axis' " + axis + " is outside the sample axes of " + Arrays.toString(shape));
    }
    this.shape = shape.clone();
    this.axis = a;
    this.size = Sizes.product(shape, "softmax: shape");
    int o = 1;
    for (int d = 0; d < a; d++) o *= shape[d];
    this.outer = o;
    this.length = shape[a];
    this.inner = size / (o * length);
  }

  @Override public String type() { return "softmax"; }
  @Override public int inputSize() { return size; }
  @Override public int outputSize() { return size; }
  @Override public int[] outputShape() { return shape.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  /** Number of softmax groups per sample, their length and stride: group q of a sample starts at {@link #start}. */
  public int groups() { return outer * inner; }

  public int length() { return length; }

  public int stride() { return inner; }

  /** Offset of group q inside a sample. */
  public int start(int q) {
    return (q / inner) * length * inner + q % inner;
  }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("axis", axis);
    return m;
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) {
      for (int q = 0; q < groups(); q++) {
        int b = n * size + start(q);
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < length; l++) max = Math.max(max, x[b + l * inner]);
        double s = 0;
        for (int l = 0; l < length; l++) {
          double e = Math.exp(x[b + l * inner] - max);
          z[b + l * inner] = e;
          s += e;
        }
        for (int l = 0; l < length; l++) z[b + l * inner] /= s;
      }
    }
  }

  /** out = z ⊙ (g − ⟨g, z⟩) per group, z per sample at row n, g and out at row {@code n·k + j}. */
  @Float32Twin
  public void vjp(double[] z, double[] g, double[] out, int batch, int k) {
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * size;
        for (int q = 0; q < groups(); q++) {
          int s0 = start(q);
          double dot = 0;
          for (int l = 0; l < length; l++) dot += g[r + s0 + l * inner] * z[n * size + s0 + l * inner];
          for (int l = 0; l < length; l++) {
            int i = s0 + l * inner;
            out[r + i] = z[n * size + i] * (g[r + i] - dot);
          }
        }
      }
    }
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) vjp(z, gOut, gIn, batch, 1);
  }

  /** The description type "softmax" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("softmax"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Softmax(LayerType.single(in), spec.intParam("axis", -1));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) {
      for (int q = 0; q < groups(); q++) {
        int b = n * size + start(q);
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < length; l++) max = Math.max(max, x[b + l * inner]);
        double s = 0;
        for (int l = 0; l < length; l++) {
          double e = Math.exp(x[b + l * inner] - max);
          z[b + l * inner] = (float) (e);
          s += e;
        }
        for (int l = 0; l < length; l++) z[b + l * inner] /= s;
      }
    }
  }

  public void vjp(float[] z, float[] g, float[] out, int batch, int k) {
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * size;
        for (int q = 0; q < groups(); q++) {
          int s0 = start(q);
          double dot = 0;
          for (int l = 0; l < length; l++) dot += g[r + s0 + l * inner] * z[n * size + s0 + l * inner];
          for (int l = 0; l < length; l++) {
            int i = s0 + l * inner;
            out[r + i] = (float) (z[n * size + i] * (g[r + i] - dot));
          }
        }
      }
    }
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      vjp(z, gOut, gIn, batch, 1);
  }
  // ---- end of generated float32 twins ----
}
