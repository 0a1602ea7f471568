package org.hesse.eigen;

/**
 * Power iteration with deflation, as PyHessian's {@code eigenvalues()}: for each of k eigenpairs, start from a
 * random vector, and repeat "orthogonalise against the pairs found, v ← Av/‖Av‖" until the Rayleigh quotient's
 * relative change |λ − λ_prev| / (|λ_prev| + 1e-6) falls below the tolerance (PyHessian: 100 iterations,
 * 1e-3). It finds the largest-magnitude eigenvalues. A residual rule, ‖Av − λv‖ ≤ tol·scale, is available so
 * that it can be compared with ARPACK at equal accuracy. Only a baseline.
 */
public final class PowerIteration {
  /** PyHessian's iteration limit per eigenpair. */
  public static final int PYHESSIAN_MAX_ITERATIONS = 100;
  /** PyHessian's tolerance on the relative change of the Rayleigh quotient. */
  public static final double PYHESSIAN_TOLERANCE = 1e-3;

  /** How an eigenpair's iteration stops. */
  public enum Stop {
    /** PyHessian's: relative change of the Rayleigh quotient. */
    RELATIVE_CHANGE,
    /** ‖Av − λv‖ ≤ tol · residualScale (or · |λ_1| when residualScale is 0). */
    RESIDUAL
  }

  /**
   * @param eigenvalues  in the order found (decreasing magnitude when it converged)
   * @param eigenvectors vector j at [j·n, j·n + n)
   * @param iterations   iterations per eigenpair
   * @param converged    whether each pair met its stopping rule within maxIterations
   * @param n            the operator's dimension
   * @param applications operator applications in total
   */
  public record Result(int n, double[] eigenvalues, double[] eigenvectors, int[] iterations, boolean[] converged,
                       long applications) {
    /**
     * Whether every pair met its stopping rule.
     *
     * @return true when all converged
     */
    public boolean complete() {
      for (boolean c : converged) if (!c) return false;
      return true;
    }
  }

  private PowerIteration() {}

  /**
   * PyHessian's defaults: 100 iterations, relative change 1e-3.
   *
   * @param op   a symmetric operator
   * @param k    number of eigenpairs, at most n
   * @param seed seed of the start vectors
   * @return the pairs found
   */
  public static Result run(LinearOperator op, int k, long seed) {
    return run(op, k, PYHESSIAN_MAX_ITERATIONS, PYHESSIAN_TOLERANCE, Stop.RELATIVE_CHANGE, 0.0, seed);
  }

  /**
   * Power iteration with every option.
   *
   * @param op            a symmetric operator
   * @param k             number of eigenpairs, at most n
   * @param maxIterations iterations per pair, &gt; 0
   * @param tol           the stopping rule's tolerance, &gt; 0
   * @param stop          which stopping rule
   * @param residualScale with {@link Stop#RESIDUAL}: the scale of the residual test (0: |λ_1|)
   * @param seed          seed of the start vectors
   * @return the pairs found
   */
  public static Result run(LinearOperator op, int k, int maxIterations, double tol, Stop stop, double residualScale,
                           long seed) {
    Checks.symmetricOperator(op);
    Checks.positive("k", k);
    Checks.positive("maxIterations", maxIterations);
    Checks.positive("tol", tol);
    Checks.notNull("stop", stop);
    Checks.nonNegative("residualScale", residualScale);
    int n = op.dim();
    if (k > n) throw new IllegalArgumentException("k must be <= n = " + n + ", got " + k);
    double[] vecs = new double[k * n];
    double[] vals = new double[k];
    int[] its = new int[k];
    boolean[] conv = new boolean[k];
    double[] v = new double[n];
    double[] av = new double[n];
    long apps = 0;
    for (int j = 0; j < k; j++) {
      Probes.fill(Probes.Distribution.GAUSSIAN, seed, j, v, n);
      Vec.orthogonalize(vecs, j, v, n);
      Vec.scale(1.0 / Vec.norm(v, n), v, 0, n);
      double lambda = 0;
      double prev = Double.NaN;
      int it = 0;
      while (it < maxIterations) {
        op.apply(v, av);
        apps++;
        it++;
        lambda = Vec.dot(v, av, n);
        boolean done;
        if (stop == Stop.RESIDUAL) {
          double r2 = 0;
          for (int i = 0; i < n; i++) {
            double r = av[i] - lambda * v[i];
            r2 += r * r;
          }
          double scale = residualScale > 0 ? residualScale : (j == 0 ? Math.abs(lambda) : Math.abs(vals[0]));
          done = Math.sqrt(r2) <= tol * scale;
        } else {
          done = !Double.isNaN(prev) && Math.abs(lambda - prev) / (Math.abs(prev) + 1e-6) < tol;
        }
        if (done) {
          conv[j] = true;
          break;
        }
        prev = lambda;
        if (it == maxIterations) break;  // keep v the vector λ is the Rayleigh quotient of
        // Deflation by projection (as PyHessian): keep the iterate orthogonal to the pairs already found.
        Vec.orthogonalize(vecs, j, av, n);
        double nrm = Vec.norm(av, n);
        if (nrm == 0) { // v lies in the null space left after deflation: λ = 0 exactly
          conv[j] = true;
          break;
        }
        for (int i = 0; i < n; i++) v[i] = av[i] / nrm;
      }
      vals[j] = lambda;
      its[j] = it;
      System.arraycopy(v, 0, vecs, j * n, n);
    }
    return new Result(n, vals, vecs, its, conv, apps);
  }
}
