package org.hesse.eigen;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.hesse.linalg.Gemm;

/** Symmetric matrices with prescribed spectra: Q diag(λ) Qᵀ with Q a random orthogonal matrix. */
final class TestMatrices {
  private TestMatrices() {}

  /** Row-major n × n orthogonal matrix (Gram–Schmidt, twice, on Gaussian columns). */
  static double[] orthogonal(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] cols = new double[n * n]; // column j at [j*n, j*n+n)
    for (int i = 0; i < n * n; i++) {
      double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
      cols[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
    for (int j = 0; j < n; j++) {
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < j; i++) {
          double d = 0;
          for (int t = 0; t < n; t++) d += cols[i * n + t] * cols[j * n + t];
          for (int t = 0; t < n; t++) cols[j * n + t] -= d * cols[i * n + t];
        }
      }
      double nrm = 0;
      for (int t = 0; t < n; t++) nrm += cols[j * n + t] * cols[j * n + t];
      nrm = Math.sqrt(nrm);
      for (int t = 0; t < n; t++) cols[j * n + t] /= nrm;
    }
    double[] q = new double[n * n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) q[i * n + j] = cols[j * n + i];
    return q;
  }

  /** Q diag(λ) Qᵀ, row-major, exactly symmetric. */
  static double[] withSpectrum(double[] lambda, long seed) {
    int n = lambda.length;
    double[] q = orthogonal(n, seed);
    double[] b = new double[n * n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) b[i * n + j] = q[i * n + j] * lambda[j];
    double[] a = new double[n * n];
    Gemm.gemm(false, true, n, n, n, 1.0, b, q, 0.0, a);
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double s = 0.5 * (a[i * n + j] + a[j * n + i]);
        a[i * n + j] = s;
        a[j * n + i] = s;
      }
    }
    return a;
  }

  static double[] sorted(double[] x) {
    double[] s = x.clone();
    Arrays.sort(s);
    return s;
  }

  static double maxAbs(double[] x) {
    double m = 0;
    for (double v : x) m = Math.max(m, Math.abs(v));
    return m;
  }

  /** Named spectra of size n (EJML-style battery). */
  static double[] spectrum(String name, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] l = new double[n];
    switch (name) {
      case "spread" -> { for (int i = 0; i < n; i++) l[i] = 1 + 9.0 * i / n + 0.01 * r.nextDouble(); }
      case "clusters" -> { for (int i = 0; i < n; i++) l[i] = (i % 3) * 5.0 + 1e-3 * r.nextDouble() + (i >= n - 6 ? 20 + i - n : 0); }
      case "repeated" -> { for (int i = 0; i < n; i++) l[i] = i < n - 8 ? r.nextDouble() : (i < n - 4 ? 3.0 : 7.0 + i - n); }
      case "negative" -> { for (int i = 0; i < n; i++) l[i] = -5 + 10.0 * r.nextDouble(); l[0] = -20; l[1] = -15; l[n - 1] = 12; }
      case "rankDeficient" -> { for (int i = 0; i < n; i++) l[i] = i < n / 2 ? 0.0 : 1 + r.nextDouble() * 4; }
      case "tiny" -> { for (int i = 0; i < n; i++) l[i] = 1e-12 * (1 + 9.0 * i / n); }
      case "large" -> { for (int i = 0; i < n; i++) l[i] = 1e2 * (-1 + 3.0 * i / n); }
      default -> throw new IllegalArgumentException(name);
    }
    return l;
  }
}
