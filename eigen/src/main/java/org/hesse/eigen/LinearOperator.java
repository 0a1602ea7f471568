package org.hesse.eigen;

/**
 * Anything that can multiply a vector: the only thing the spectra engine knows about a matrix. Another
 * framework plugs in its own Hessian-vector product by implementing {@link #apply}.
 */
public interface LinearOperator {
  /**
   * Dimension n of the (square) operator.
   *
   * @return n &gt; 0
   */
  int dim();

  /**
   * y = A·x.
   *
   * @param x the vector, length {@link #dim()}, not modified
   * @param y receives the product, length {@link #dim()}, a different array from x; overwritten
   */
  void apply(double[] x, double[] y);

  /**
   * Y = A·X for k vectors stored as k consecutive blocks of length n (X[j·n + i] is entry i of vector j),
   * i.e. an n × k column-major matrix. The default loops {@link #apply}; override when a blocked product is
   * cheaper (e.g. one dgemm). The default allocates two length-n buffers per call (not per vector).
   *
   * @param x the k vectors, k·n values, not modified
   * @param y receives the k products, k·n values, a different array from x
   * @param k number of vectors, &gt; 0
   */
  default void applyMany(double[] x, double[] y, int k) {
    int n = dim();
    checkMany(x, y, k, n, n);
    if (k == 1) {
      apply(x, y);
      return;
    }
    double[] xs = new double[n];
    double[] ys = new double[n];
    for (int j = 0; j < k; j++) {
      System.arraycopy(x, j * n, xs, 0, n);
      apply(xs, ys);
      System.arraycopy(ys, 0, y, j * n, n);
    }
  }

  /**
   * The argument rule of {@link #applyMany} for an operator of {@code rows × cols} (one rule for every
   * implementation): k &gt; 0, x holds at least k blocks of cols values and y k blocks of rows values.
   *
   * @param x    the input vectors
   * @param y    the output vectors
   * @param k    number of vectors
   * @param rows the operator's rows (length of each output vector)
   * @param cols the operator's columns (length of each input vector)
   * @throws IllegalArgumentException naming the argument that breaks the rule
   */
  static void checkMany(double[] x, double[] y, int k, int rows, int cols) {
    Checks.positive("k", k);
    Checks.length("x", x, (long) k * cols);
    Checks.length("y", y, (long) k * rows);
  }

  /** {@link #checkMany(double[], double[], int, int, int)} for an operator on float vectors. */
  static void checkMany(float[] x, float[] y, int k, int rows, int cols) {
    Checks.positive("k", k);
    Checks.length("x", x, (long) k * cols);
    Checks.length("y", y, (long) k * rows);
  }

  /**
   * Whether A = Aᵀ (ARPACK's symmetric driver and Lanczos require it).
   *
   * @return true by default
   */
  default boolean symmetric() {
    return true;
  }
}
