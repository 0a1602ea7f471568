package org.hesse.nn;

/**
 * A per-sample loss ℓ(z, y) on the network output, reduced by the mean as PyTorch does. Targets are a
 * row-major {@code batch × targetWidth()} array (class indices stored as doubles for cross-entropy).
 * The caller supplies the reduction weight {@code scale} (1/N over a dataset of N samples), so every
 * method here works per sample and stays independent of batching.
 */
public interface Loss {
  /** "cross_entropy" or "mse", as in the model description. */
  String name();

  /** Columns of the target array for an output of width {@code c}. */
  int targetWidth(int c);

  /** Checks targets for an output of width c; the message names the first bad row. */
  void checkTargets(double[] y, int batch, int c);

  /** Σ_n ℓ_n over the batch (unscaled). */
  double sum(double[] z, double[] y, int batch, int c);

  /** {@code g_n = scale · ∂ℓ_n/∂z_n} for every row (overwrites g). */
  void gradient(double[] z, double[] y, int batch, int c, double scale, double[] g);

  /** {@code out_n = scale · ∇²ℓ_n · dz_n} for every row (overwrites out). */
  void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out);

  /**
   * The same for k directions per sample: dz and out are {@code (batch·k) × c}, row {@code n·k + j} the j-th
   * direction of sample n (the curvature engine's direction-minor layout).
   */
  default void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out, int k) {
    if (k == 1) {
      hessianVector(z, y, batch, c, scale, dz, out);
      return;
    }
    double[] m = new double[c * c];
    for (int n = 0; n < batch; n++) {
      outputHessian(z, y, n, c, m);
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * c;
        for (int a = 0; a < c; a++) {
          double s = 0;
          for (int b = 0; b < c; b++) s += m[a * c + b] * dz[r + b];
          out[r + a] = scale * s;
        }
      }
    }
  }

  /**
   * The float32 path's loss (docs/precision.md): the float output is widened and the float64 loss runs on it; what
   * comes back to the float passes (gradient, Hessian-vector product) is rounded once. A few values per sample.
   */
  default double sum(float[] z, double[] y, int batch, int c) {
    return sum(widen(z, batch * c), y, batch, c);
  }

  /** {@link #gradient(double[], double[], int, int, double, double[])} on a float output, rounded into g. */
  default void gradient(float[] z, double[] y, int batch, int c, double scale, float[] g) {
    double[] gd = new double[batch * c];
    gradient(widen(z, batch * c), y, batch, c, scale, gd);
    for (int i = 0; i < gd.length; i++) g[i] = (float) gd[i];
  }

  /** {@link #hessianVector(double[], double[], int, int, double, double[], double[], int)} on float tangents. */
  default void hessianVector(float[] z, double[] y, int batch, int c, double scale, float[] dz, float[] out, int k) {
    double[] od = new double[batch * k * c];
    hessianVector(widen(z, batch * c), y, batch, c, scale, widen(dz, batch * k * c), od, k);
    for (int i = 0; i < od.length; i++) out[i] = (float) od[i];
  }

  private static double[] widen(float[] a, int n) {
    double[] d = new double[n];
    for (int i = 0; i < n; i++) d[i] = a[i];
    return d;
  }

  /** The c × c output Hessian ∇²ℓ_n of row n, row-major into m (unscaled). */
  void outputHessian(double[] z, double[] y, int n, int c, double[] m);

  static Loss byName(String name) {
    switch (name) {
      case "cross_entropy": return CrossEntropy.INSTANCE;
      case "mse": return MeanSquaredError.INSTANCE;
      default: throw new IllegalArgumentException("unknown loss '" + name + "', expected cross_entropy or mse");
    }
  }
}
