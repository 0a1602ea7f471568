package org.hesse.eigen;

import dev.ludovic.netlib.lapack.LAPACK;
import org.hesse.linalg.Linalg;
import org.netlib.util.intW;

/**
 * Stochastic Lanczos quadrature (Ubaru, Chen &amp; Saad 2017; Ghorbani et al. 2019): m Lanczos steps from each of
 * n_v Rademacher probes, with full re-orthogonalisation (two Gram–Schmidt passes against all previous Lanczos
 * vectors, so the m × n basis is kept: its size is checked against the {@link MemoryBudget}). A breakdown
 * (β_j ≤ {@link #BREAKDOWN}·max(|α|, β) so far: the Krylov space is invariant) ends that probe early, and its
 * quadrature is then exact. The tridiagonal eigenproblem goes to LAPACK dstev.
 */
public final class Slq {
  /** Relative size of β below which the Krylov space is taken as invariant. */
  public static final double BREAKDOWN = 1e-10;

  private Slq() {}

  /**
   * SLQ with the default LAPACK.
   *
   * @param op     a symmetric operator
   * @param steps  Lanczos steps per probe (at most n are taken)
   * @param probes number of Rademacher probes
   * @param seed   seed of the probes
   * @return nodes and weights per probe
   */
  public static SlqResult run(LinearOperator op, int steps, int probes, long seed) {
    return run(op, steps, probes, seed, Linalg.lapack());
  }

  /**
   * SLQ: per probe, m Lanczos steps with full reorthogonalisation, then the tridiagonal matrix's eigenvalues (nodes)
   * and squared first eigenvector components (weights).
   *
   * @param op     a symmetric operator
   * @param steps  Lanczos steps per probe (at most n are taken)
   * @param probes number of Rademacher probes
   * @param seed   seed of the probes
   * @param lapack the LAPACK back end for the tridiagonal eigenproblems
   * @return nodes and weights per probe
   */
  public static SlqResult run(LinearOperator op, int steps, int probes, long seed, LAPACK lapack) {
    Checks.symmetricOperator(op);
    Checks.positive("steps", steps);
    Checks.positive("probes", probes);
    Checks.notNull("lapack", lapack);
    int n = op.dim();
    int m = Math.min(steps, n); // at most n orthogonal directions
    MemoryBudget.check("SLQ Lanczos basis (" + m + " × " + n + ")",
        MemoryBudget.doubles(MemoryBudget.mul(m, n), 3L * n, 4L * m + (long) m * m), MemoryBudget.defaultBytes());
    double[] q = new double[m * n];
    double[] w = new double[n];
    double[] x = new double[n];
    double[] alpha = new double[m];
    double[] beta = new double[m];
    double[] d = new double[m];
    double[] e = new double[m];
    double[] z = new double[m * m];
    double[] work = new double[Math.max(1, 2 * m - 2)];
    double[][] nodes = new double[probes][];
    double[][] weights = new double[probes][];
    int[] taken = new int[probes];
    long applications = 0;
    for (int p = 0; p < probes; p++) {
      Probes.fill(Probes.Distribution.RADEMACHER, seed, p, q, n);
      Vec.scale(1.0 / Math.sqrt(n), q, 0, n);
      int j = 0;
      double scale = 0;
      while (true) {
        System.arraycopy(q, j * n, x, 0, n); // apply needs arrays starting at 0
        op.apply(x, w);
        applications++;
        alpha[j] = Vec.dot(q, j * n, w, 0, n);
        Vec.orthogonalize(q, j + 1, w, n); // removes α_j q_j and β_{j-1} q_{j-1} too
        beta[j] = Vec.norm(w, n);
        scale = Math.max(scale, Math.max(Math.abs(alpha[j]), beta[j]));
        j++;
        if (j == m || beta[j - 1] <= BREAKDOWN * scale) break;
        System.arraycopy(w, 0, q, j * n, n);
        Vec.scale(1.0 / beta[j - 1], q, j * n, n);
      }
      taken[p] = j;
      System.arraycopy(alpha, 0, d, 0, j);
      System.arraycopy(beta, 0, e, 0, Math.max(0, j - 1));
      intW info = new intW(0);
      lapack.dstev("V", j, d, e, z, j, work, info);
      if (info.val != 0) throw new ArithmeticException("LAPACK dstev failed for probe " + p + " with info = " + info.val);
      nodes[p] = java.util.Arrays.copyOf(d, j);
      weights[p] = new double[j];
      for (int i = 0; i < j; i++) weights[p][i] = z[i * j] * z[i * j]; // first component of eigenvector i
    }
    return new SlqResult(n, steps, taken, nodes, weights, applications, seed);
  }
}
