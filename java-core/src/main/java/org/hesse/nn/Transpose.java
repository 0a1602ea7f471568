package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.precision.Float32Twin;

/**
 * A permutation of the sample axes, {@code x.permute(0, *[p + 1 for p in perm])}: output axis i is input axis
 * perm[i]. Linear and parameter-free: a fixed gather {@code z[o] = x[source(o)]} per sample.
 */
public final class Transpose implements Layer {
  private final int[] perm;
  private final int[] out;
  private final int[] source;  // per output index, the input index

  public Transpose(int[] inShape, int[] perm) {
    int r = inShape.length;
    boolean ok = perm.length == r;
    boolean[] seen = new boolean[r];
    for (int i = 0; ok && i < r; i++) ok = perm[i] >= 0 && perm[i] < r && !seen[perm[i]] && (seen[perm[i]] = true);
    if (!ok) {
      throw new IllegalArgumentException("transpose: 'perm' " + Arrays.toString(perm) + " must be a permutation of the "
          + r + " sample axes of " + Arrays.toString(inShape));
    }
    this.perm = perm.clone();
    this.out = new int[r];
    for (int i = 0; i < r; i++) out[i] = inShape[perm[i]];
    int size = Sizes.product(inShape, "transpose: input shape");
    int[] inStride = new int[r];
    for (int i = r - 1, s = 1; i >= 0; s *= inShape[i], i--) inStride[i] = s;
    source = new int[size];
    int[] idx = new int[r];
    for (int o = 0; o < size; o++) {
      int src = 0;
      for (int i = 0; i < r; i++) src += idx[i] * inStride[perm[i]];
      source[o] = src;
      for (int i = r - 1; i >= 0 && ++idx[i] == out[i]; i--) idx[i] = 0;
    }
  }

  @Override public String type() { return "transpose"; }
  @Override public int inputSize() { return source.length; }
  @Override public int outputSize() { return source.length; }
  @Override public int[] outputShape() { return out.clone(); }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    m.put("perm", Arrays.stream(perm).boxed().toList());
    return m;
  }

  /** z = the permuted x for {@code rows} rows. */
  @Float32Twin
  public void gather(double[] x, double[] z, int rows) {
    int w = source.length;
    for (int r = 0; r < rows; r++) for (int o = 0; o < w; o++) z[r * w + o] = x[r * w + source[o]];
  }

  /** gIn = the adjoint (scatter back) of g for {@code rows} rows. */
  @Float32Twin
  public void scatter(double[] g, double[] gIn, int rows) {
    int w = source.length;
    for (int r = 0; r < rows; r++) for (int o = 0; o < w; o++) gIn[r * w + source[o]] = g[r * w + o];
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[] x, double[] z, int batch, LayerContext ctx) {
    gather(x, z, batch);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[] x, double[] z, double[] gOut, double[] gIn, double[] gTheta,
                       int batch, LayerContext ctx) {
    if (gIn != null) scatter(gOut, gIn, batch);
  }

  /** The description type "transpose" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("transpose"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new Transpose(LayerType.single(in), spec.ints("perm"));
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void gather(float[] x, float[] z, int rows) {
    int w = source.length;
    for (int r = 0; r < rows; r++) for (int o = 0; o < w; o++) z[r * w + o] = (float) (x[r * w + source[o]]);
  }

  public void scatter(float[] g, float[] gIn, int rows) {
    int w = source.length;
    for (int r = 0; r < rows; r++) for (int o = 0; o < w; o++) gIn[r * w + source[o]] = (float) (g[r * w + o]);
  }

  @Override
  public void forward(float[] theta, int off, float[] x, float[] z, int batch, LayerContext ctx) {
    gather(x, z, batch);
  }

  @Override
  public void backward(float[] theta, int off, float[] x, float[] z, float[] gOut, float[] gIn, float[] gTheta, int batch, LayerContext ctx) {
    if (gIn != null)
      scatter(gOut, gIn, batch);
  }
  // ---- end of generated float32 twins ----
}
