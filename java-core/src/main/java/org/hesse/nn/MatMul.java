package org.hesse.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.linalg.Gemm;
import org.hesse.precision.Float32Twin;

/**
 * The product of two activations per sample, {@code z = α · A B} with A {@code [T, K]} and B {@code [K, S]}
 * ({@code torch.matmul(a, b)}, batched over samples; α = 1 for the graph op, {@code 1/√d} inside attention).
 * Parameter-free and bilinear.
 */
public final class MatMul implements FanInLayer {
  private final int t;
  private final int kk;
  private final int s;
  private final double alpha;

  public MatMul(int[] a, int[] b, double alpha) {
    if (a.length != 2 || b.length != 2 || a[1] != b[0]) {
      throw new IllegalArgumentException("matmul: expected inputs [T, K] and [K, S], got " + Arrays.toString(a) + " and "
          + Arrays.toString(b));
    }
    this.t = a[0];
    this.kk = a[1];
    this.s = b[1];
    this.alpha = alpha;
  }

  @Override public String type() { return "matmul"; }
  @Override public int inputCount() { return 2; }
  @Override public int inputSize() { return t * kk; }
  @Override public int inputSize(int i) { return i == 0 ? t * kk : kk * s; }
  @Override public int[] inputShape(int i) { return i == 0 ? new int[] {t, kk} : new int[] {kk, s}; }
  @Override public int outputSize() { return t * s; }
  @Override public int[] outputShape() { return new int[] {t, s}; }
  @Override public List<ParamTensor> paramTensors() { return List.of(); }
  @Override public long preparedValuesPerSample() { return 0; }

  @Override
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type());
    return m;
  }

  /** c[cOff..] (+)= α A B for one sample (beta 0 or 1). */
  @Float32Twin
  public void product(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, double beta) {
    Gemm.gemm(false, false, t, s, kk, alpha, a, aOff, b, bOff, beta, c, cOff);
  }

  /** gA[gOff..] (+)= α g Bᵀ for one sample. */
  @Float32Twin
  public void leftGradient(double[] g, int gOff, double[] b, int bOff, double[] gA, int aOff, double beta) {
    Gemm.gemm(false, true, t, kk, s, alpha, g, gOff, b, bOff, beta, gA, aOff);
  }

  /** gB[bOff..] (+)= α Aᵀ g for one sample. */
  @Float32Twin
  public void rightGradient(double[] a, int aOff, double[] g, int gOff, double[] gB, int bOff, double beta) {
    Gemm.gemm(true, false, kk, s, t, alpha, a, aOff, g, gOff, beta, gB, bOff);
  }

  @Float32Twin
  @Override
  public void forward(double[] theta, int off, double[][] xs, double[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) product(xs[0], n * t * kk, xs[1], n * kk * s, z, n * t * s, 0.0);
  }

  @Float32Twin
  @Override
  public void backward(double[] theta, int off, double[][] xs, double[] z, double[] gOut, double[][] gIns,
                       double[] gTheta, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) {
      if (gIns[0] != null) leftGradient(gOut, n * t * s, xs[1], n * kk * s, gIns[0], n * t * kk, 0.0);
      if (gIns[1] != null) rightGradient(xs[0], n * t * kk, gOut, n * t * s, gIns[1], n * kk * s, 0.0);
    }
  }

  /** The description type "matmul" (registered in META-INF/services/org.hesse.nn.LayerType). */
  public static final class Type implements LayerType {
    @Override public java.util.List<String> names() { return java.util.List.of("matmul"); }

    @Override public boolean inLayerLists() { return false; }

    @Override
    public Layer buildNode(org.hesse.io.LayerSpec spec, java.util.List<int[]> in, SubLayers sub) {
      return new MatMul(in.get(0), in.size() > 1 ? in.get(1) : new int[0], 1.0);
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public void product(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, double beta) {
    Gemm.gemm(false, false, t, s, kk, alpha, a, aOff, b, bOff, beta, c, cOff);
  }

  public void leftGradient(float[] g, int gOff, float[] b, int bOff, float[] gA, int aOff, double beta) {
    Gemm.gemm(false, true, t, kk, s, alpha, g, gOff, b, bOff, beta, gA, aOff);
  }

  public void rightGradient(float[] a, int aOff, float[] g, int gOff, float[] gB, int bOff, double beta) {
    Gemm.gemm(true, false, kk, s, t, alpha, a, aOff, g, gOff, beta, gB, bOff);
  }

  @Override
  public void forward(float[] theta, int off, float[][] xs, float[] z, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) product(xs[0], n * t * kk, xs[1], n * kk * s, z, n * t * s, 0.0);
  }

  @Override
  public void backward(float[] theta, int off, float[][] xs, float[] z, float[] gOut, float[][] gIns, float[] gTheta, int batch, LayerContext ctx) {
    for (int n = 0; n < batch; n++) {
      if (gIns[0] != null)
        leftGradient(gOut, n * t * s, xs[1], n * kk * s, gIns[0], n * t * kk, 0.0);
      if (gIns[1] != null)
        rightGradient(xs[0], n * t * kk, gOut, n * t * s, gIns[1], n * kk * s, 0.0);
    }
  }
  // ---- end of generated float32 twins ----
}
