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

  /**
   * out = f'(x) ⊙ dx for tanh and the logistic function, f' from their output a = f(x): 1 − a² (tanh), a(1 − a)
   * (logistic); any other f is refused. The per-sample tangent rule of those activations (no prepared derivatives).
   */
  void outputTangent(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] out, int outOff, int n);

  /**
   * out += f''(x) ⊙ dx ⊙ g for tanh and the logistic function, f'' from their output a: −2a(1 − a²) (tanh),
   * a(1 − a)(1 − 2a) (logistic); any other f is refused. Their residual term in the second-order backward pass.
   */
  void outputCurvature(Activation f, double[] a, int aOff, double[] dx, int dxOff, double[] g, int gOff, double[] out,
      int outOff, int n);

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
  // matVec's row sums) accumulate in double; element results are computed in double and rounded to float once
  // (mul and mulMulAdd: float arithmetic, C2 vectorises it). The reference is ScalarKernels. ----------------------

  double dot(float[] x, int xOff, float[] y, int yOff, int n);

  /** y += a * x */
  void axpy(double a, float[] x, int xOff, float[] y, int yOff, int n);

  /** x *= a */
  void scale(double a, float[] x, int xOff, int n);

  double sum(float[] x, int xOff, int n);

  /** out = x ⊙ y */
  void mul(float[] x, int xOff, float[] y, int yOff, float[] out, int outOff, int n);

  /** out += x ⊙ y ⊙ z */
  void mulMulAdd(float[] x, int xOff, float[] y, int yOff, float[] z, int zOff, float[] out, int outOff, int n);

  /** As the double version: the arithmetic in double, each element rounded to float once. */
  void outputTangent(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] out, int outOff, int n);

  /** As the double version: the arithmetic in double, each element rounded to float once. */
  void outputCurvature(Activation f, float[] a, int aOff, float[] dx, int dxOff, float[] g, int gOff, float[] out,
      int outOff, int n);

  /** out = f(x), evaluated in double and rounded once. */
  void activation(Activation f, float[] x, int xOff, float[] out, int outOff, int n);

  /** out = f'(x) ⊙ g */
  void activationBackward(Activation f, float[] x, int xOff, float[] g, int gOff, float[] out, int outOff, int n);

  /** d1 = f'(x), d2 = f''(x) (either may be null). */
  void activationDerivatives(Activation f, float[] x, int xOff, float[] d1, int d1Off, float[] d2, int d2Off, int n);

  /** Row-wise softmax (max subtracted; exponentials and their sum in double). */
  void softmaxRows(float[] x, int xOff, float[] out, int outOff, int rows, int cols);

  /** a (m × n row-major) += alpha * x yᵀ */
  void outerAdd(double alpha, float[] x, int xOff, float[] y, int yOff, float[] a, int aOff, int m, int n);

  /** y = A x with A m × n row-major (row sums in double). */
  void matVec(float[] a, int aOff, int m, int n, float[] x, int xOff, float[] y, int yOff);
}
