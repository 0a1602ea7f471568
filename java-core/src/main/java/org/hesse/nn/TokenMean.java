package org.hesse.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/** Mean pooling over tokens, {@code [T, D] → [D]}, {@code x.mean(dim=1)}. Linear and parameter-free. */
public final class TokenMean implements Layer {
  private final int tokens;
  private final int width;

  public TokenMean(int[] inShape) {
    if (inShape.length != 2) {
      throw new IllegalArgumentException("token_mean: expected an input of shape [T, D], got " + java.util.Arrays.toString(inShape));
    }
    this.tokens = inShape[0];
    this.width = inShape[1];
  }

  @Override public String type() { return "token_mean"; }
  @Override public int inputSize() { return tokens * width; }
  @Override public int outputSize() { return width; }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    return m;
  }

  /** z = the token mean of x for {@code rows} rows. */
  @Float32Twin
  public void mean(double[] x, double[] z, int rows) {
    for (int r = 0; r < rows; r++) {
      int o = r * width;
      int in = r * tokens * width;
      for (int d = 0; d < width; d++) {
        double s = 0;
        for (int t = 0; t < tokens; t++) s += x[in + t * width + d];
        z[o + d] = s / tokens;
      }
    }
  }

  /** gIn = g / T on every token, for {@code rows} rows. */
  @Float32Twin
  public void spread(double[] g, double[] gIn, int rows) {
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < tokens; t++) {
        for (int d = 0; d < width; d++) gIn[(r * tokens + t) * width + d] = g[r * width + d] / tokens;
      }
    }
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    mean(x, z, batch);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) spread(gOut, gIn, batch);
  }

  /** The description type "token_mean" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("token_mean"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new TokenMean(LayerType.single(in));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void mean(float[] x, float[] z, int rows) {
    for (int r = 0; r < rows; r++) {
      int o = r * width;
      int in = r * tokens * width;
      for (int d = 0; d < width; d++) {
        double s = 0;
        for (int t = 0; t < tokens; t++) s += x[in + t * width + d];
        z[o + d] = (float) (s / tokens);
      }
    }
  }

  public void spread(float[] g, float[] gIn, int rows) {
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < tokens; t++) {
        for (int d = 0; d < width; d++) gIn[(r * tokens + t) * width + d] = (float) (g[r * width + d] / tokens);
      }
    }
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    mean(x, z, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      spread(gOut, gIn, batch);
  }
  // ---- end of generated float32 twins ----
}
