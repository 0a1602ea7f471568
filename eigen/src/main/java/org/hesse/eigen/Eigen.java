package org.hesse.eigen;

/**
 * Short entry points with the defaults (ARPACK tolerance 1e-10, default back end, eigenvectors computed).
 * Use {@link Arpack#request(int)}, {@link Slq}, {@link Trace}, {@link DenseEigen} for every option.
 */
public final class Eigen {
  /** Tolerance of the shortcuts: ARPACK's relative residual test ‖r‖ ≤ tol·|λ|. */
  public static final double DEFAULT_TOL = 1e-10;

  private Eigen() {}

  /**
   * The k largest (algebraic) eigenpairs, ascending.
   *
   * @param op a symmetric operator
   * @param k  how many, &gt; 0
   * @return ARPACK's result
   */
  public static ArpackResult top(LinearOperator op, int k) {
    return Arpack.request(k).which(Which.LA).tol(DEFAULT_TOL).solve(op);
  }

  /**
   * The k smallest (algebraic) eigenpairs, ascending.
   *
   * @param op a symmetric operator
   * @param k  how many, &gt; 0
   * @return ARPACK's result
   */
  public static ArpackResult bottom(LinearOperator op, int k) {
    return Arpack.request(k).which(Which.SA).tol(DEFAULT_TOL).solve(op);
  }

  /**
   * SLQ with the given steps and probes; densities and metrics follow from the result.
   *
   * @param op     a symmetric operator
   * @param steps  Lanczos steps per probe
   * @param probes number of probe vectors
   * @param seed   seed of the probes
   * @return the quadrature nodes and weights per probe
   */
  public static SlqResult density(LinearOperator op, int steps, int probes, long seed) {
    return Slq.run(op, steps, probes, seed);
  }

  /**
   * Full spectrum of an operator, materialised (n applications) under the default memory budget.
   *
   * @param op      a symmetric operator
   * @param vectors whether to compute the eigenvectors too
   * @return every eigenvalue, ascending
   */
  public static DenseSpectrum full(LinearOperator op, boolean vectors) {
    double[] a = DenseEigen.materialize(op, MemoryBudget.defaultBytes());
    return DenseEigen.all(a, op.dim(), vectors);
  }
}
