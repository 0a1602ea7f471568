package org.hesse.eigen;

/** Small vector helpers (plain loops: C2 vectorises these). */
final class Vec {
  private Vec() {}

  static double dot(double[] a, int aOff, double[] b, int bOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
    return s;
  }

  static double dot(double[] a, double[] b, int n) {
    return dot(a, 0, b, 0, n);
  }

  static void axpy(double alpha, double[] x, int xOff, double[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
  }

  static double norm(double[] a, int n) {
    return Math.sqrt(dot(a, a, n));
  }

  static void scale(double alpha, double[] x, int off, int n) {
    for (int i = 0; i < n; i++) x[off + i] *= alpha;
  }

  /** Projects w (length n) off the first count orthonormal blocks of q (two Gram–Schmidt passes). */
  static void orthogonalize(double[] q, int count, double[] w, int n) {
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < count; i++) {
        double c = dot(q, i * n, w, 0, n);
        axpy(-c, q, i * n, w, 0, n);
      }
    }
  }
}
