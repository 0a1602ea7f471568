package org.hesse.nn;

/**
 * Softmax cross-entropy with integer class targets, as nn.CrossEntropyLoss():
 * ℓ_n = logsumexp(z_n) − z_n[y_n]; ∇ℓ_n = p − e_y; ∇²ℓ_n = diag(p) − p pᵀ.
 */
public final class CrossEntropy implements Loss {
  private static final org.hesse.simd.Kernels K = org.hesse.simd.KernelProvider.get();
  public static final CrossEntropy INSTANCE = new CrossEntropy();

  private CrossEntropy() {}

  @Override public String name() { return "cross_entropy"; }
  @Override public int targetWidth(int c) { return 1; }

  @Override
  public void checkTargets(double[] y, int batch, int c) {
    for (int n = 0; n < batch; n++) {
      double t = y[n];
      if (!(t >= 0 && t < c && t == Math.rint(t))) {
        throw new IllegalArgumentException("cross_entropy: target of row " + n + " is " + t
            + ", expected a class index in 0.." + (c - 1));
      }
    }
  }

  @Override
  public double sum(double[] z, double[] y, int batch, int c) {
    double s = 0;
    for (int n = 0; n < batch; n++) {
      int r = n * c;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) max = Math.max(max, z[r + j]);
      double e = 0;
      for (int j = 0; j < c; j++) e += Math.exp(z[r + j] - max);
      s += max + Math.log(e) - z[r + (int) y[n]];
    }
    return s;
  }

  /** Writes the softmax of row n into out[outOff..outOff+c) (the kernels' stable row softmax). */
  static void softmaxRow(double[] z, int n, int c, double[] out, int outOff) {
    K.softmaxRows(z, n * c, out, outOff, 1, c);
  }

  @Override
  public void gradient(double[] z, double[] y, int batch, int c, double scale, double[] g) {
    for (int n = 0; n < batch; n++) {
      int r = n * c;
      softmaxRow(z, n, c, g, r);
      g[r + (int) y[n]] -= 1.0;
      for (int j = 0; j < c; j++) g[r + j] *= scale;
    }
  }

  @Override
  public void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out) {
    // (diag(p) − p pᵀ) dz = p ⊙ (dz − pᵀdz), with p computed in place in out.
    for (int n = 0; n < batch; n++) {
      int r = n * c;
      softmaxRow(z, n, c, out, r);
      double pd = 0;
      for (int j = 0; j < c; j++) pd += out[r + j] * dz[r + j];
      for (int j = 0; j < c; j++) out[r + j] = scale * out[r + j] * (dz[r + j] - pd);
    }
  }

  @Override
  public void hessianVector(double[] z, double[] y, int batch, int c, double scale, double[] dz, double[] out, int k) {
    double[] p = probabilities(c);
    for (int n = 0; n < batch; n++) {
      softmaxRow(z, n, c, p, 0);
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * c;
        double pd = 0;
        for (int a = 0; a < c; a++) pd += p[a] * dz[r + a];
        for (int a = 0; a < c; a++) out[r + a] = scale * p[a] * (dz[r + a] - pd);
      }
    }
  }

  /** A per-thread row of c probabilities: the product runs on every operator application, so no allocation. */
  private static double[] probabilities(int c) {
    double[] p = ROW.get();
    if (p.length < c) {
      p = new double[c];
      ROW.set(p);
    }
    return p;
  }

  private static final ThreadLocal<double[]> ROW = ThreadLocal.withInitial(() -> new double[16]);

  @Override
  public void outputHessian(double[] z, double[] y, int n, int c, double[] m) {
    double[] p = new double[c];
    softmaxRow(z, n, c, p, 0);
    for (int i = 0; i < c; i++) {
      for (int j = 0; j < c; j++) m[i * c + j] = (i == j ? p[i] : 0.0) - p[i] * p[j];
    }
  }
}
