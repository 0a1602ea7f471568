package org.hesse.simd;

/**
 * The element-wise and small dense kernels the layers need. Two implementations: {@link ScalarKernels}
 * (always available) and a Panama Vector API one, chosen once by {@link KernelProvider#get()}.
 * Kernels are dumb: callers check shapes; every method works on {@code [off, off+n)} ranges of flat arrays.
 * Large products go to BLAS (see {@code org.hesse.linalg.Gemm}), not here.
 */
public interface Kernels {
  /** A short name for logs: "panama(8 x double)" or "scalar". */
  String name();

  // ---- reductions and level-1 -------------------------------------------------------------------
  double dot(double[] x, int xOff, double[] y, int yOff, int n);

  /** y += a * x */
  void axpy(double a, double[] x, int xOff, double[] y, int yOff, int n);

  /** x *= a */
  void scale(double a, double[] x, int xOff, int n);

  /** sum of x */
  double sum(double[] x, int xOff, int n);

  /** out = x ⊙ y */
  void mul(double[] x, int xOff, double[] y, int yOff, double[] out, int outOff, int n);

  /** out += x ⊙ y ⊙ z  (the σ''⊙ż⊙g term of the second-order backward pass) */
  void mulMulAdd(double[] x, int xOff, double[] y, int yOff, double[] z, int zOff, double[] out, int outOff, int n);

  // ---- activations ------------------------------------------------------------------------------
  /** out = f(x). */
  void activation(Activation f, double[] x, int xOff, double[] out, int outOff, int n);

  /** out = f'(x) ⊙ g   (backward through an element-wise activation; x is the pre-activation). */
  void activationBackward(Activation f, double[] x, int xOff, double[] g, int gOff, double[] out, int outOff, int n);

  /** d1 = f'(x), d2 = f''(x) (either may be null). */
  void activationDerivatives(Activation f, double[] x, int xOff, double[] d1, int d1Off, double[] d2, int d2Off, int n);

  // ---- small dense --------------------------------------------------------------------------------
  /** Row-wise softmax of a rows × cols row-major block, numerically stable (max subtracted). */
  void softmaxRows(double[] x, int xOff, double[] out, int outOff, int rows, int cols);

  /** a (m × n row-major, leading dim n) += alpha * x yᵀ  (x length m, y length n). */
  void outerAdd(double alpha, double[] x, int xOff, double[] y, int yOff, double[] a, int aOff, int m, int n);

  /** y = A x with A m × n row-major. */
  void matVec(double[] a, int aOff, int m, int n, double[] x, int xOff, double[] y, int yOff);
  // ---- float32 storage (issue 13): the same kernels on float arrays. Scalars stay double; reductions (dot, sum,
  // matVec's row sums) accumulate in double, element results are rounded to float once. These defaults are the
  // scalar reference; the Panama kernels override them with FloatVector loops. ----------------------------

  default double dot(float[] x, int xOff, float[] y, int yOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double) x[xOff + i] * y[yOff + i];
    return s;
  }

  /** y += a * x */
  default void axpy(double a, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) y[yOff + i] = (float) (y[yOff + i] + a * x[xOff + i]);
  }

  /** x *= a */
  default void scale(double a, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) x[xOff + i] = (float) (a * x[xOff + i]);
  }

  default double sum(float[] x, int xOff, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[xOff + i];
    return s;
  }

  /** out = x ⊙ y */
  default void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * y[yOff + i];
  }

  /** out += x ⊙ y ⊙ z */
  default void mulMulAdd(float[] x, int xOff, float[] y, int yOff, float[] z, int zOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] += x[xOff + i] * y[yOff + i] * z[zOff + i];
  }

  /** out = f(x), evaluated in double and rounded once. */
  default void activation(Activation f, float[] x, int xOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] = (float) f.value(x[xOff + i]);
  }

  /** out = f'(x) ⊙ g */
  default void activationBackward(Activation f, float[] x, int xOff, float[] g, int gOff, float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) out[outOff + i] = (float) (f.d1(x[xOff + i]) * g[gOff + i]);
  }

  /** d1 = f'(x), d2 = f''(x) (either may be null). */
  default void activationDerivatives(Activation f, float[] x, int xOff, float[] d1, int d1Off, float[] d2, int d2Off, int n) {
    for (int i = 0; i < n; i++) {
      double v = x[xOff + i];
      if (d1 != null) d1[d1Off + i] = (float) f.d1(v);
      if (d2 != null) d2[d2Off + i] = (float) f.d2(v);
    }
  }

  /** Row-wise softmax (max subtracted; exponentials and their sum in double). */
  default void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int xo = xOff + r * cols;
      int oo = outOff + r * cols;
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) max = Math.max(max, x[xo + c]);
      double s = 0;
      for (int c = 0; c < cols; c++) s += Math.exp(x[xo + c] - max);
      double inv = 1.0 / s;
      for (int c = 0; c < cols; c++) out[oo + c] = (float) (Math.exp(x[xo + c] - max) * inv);
    }
  }

  /** a (m × n row-major) += alpha * x yᵀ */
  default void outerAdd(double alpha, float[] x, int xOff, float[] y, int yOff, float[] a, int aOff, int m, int n) {
    for (int i = 0; i < m; i++) {
      double s = alpha * x[xOff + i];
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) a[row + j] = (float) (a[row + j] + s * y[yOff + j]);
    }
  }

  /** y = A x with A m × n row-major (row sums in double). */
  default void matVec(float[] a, int aOff, int m, int n, float[] x, int xOff, float[] y, int yOff) {
    for (int i = 0; i < m; i++) {
      double s = 0;
      int row = aOff + i * n;
      for (int j = 0; j < n; j++) s += (double) a[row + j] * x[xOff + j];
      y[yOff + i] = (float) s;
    }
  }
}
