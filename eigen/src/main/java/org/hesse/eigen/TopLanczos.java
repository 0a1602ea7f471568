package org.hesse.eigen;

import dev.ludovic.netlib.lapack.LAPACK;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.hesse.linalg.Linalg;
import org.netlib.util.intW;

/**
 * The k largest eigenpairs of a symmetric operator by Lanczos that stops as soon as they have converged: ARPACK
 * (ncv = 20) converges the top of a Hessian block at the end of its first Lanczos run with residuals far below the
 * tolerance, so it spends products that an early stop saves.
 *
 * <p>Lanczos from ARPACK's start vector (uniform(−1, 1) from the seed, so the Krylov spaces are ARPACK's) with full
 * reorthogonalisation (two Gram–Schmidt passes against the whole basis, so no ghost copies of converged values).
 * After every step from k + 1 on, the tridiagonal T_m's eigenpairs (θ_i, s_i) by LAPACK dstev; the top k have
 * converged when |β_m s_{m,i}| ≤ tol·‖T_m‖ (the Ritz residual ‖A V s_i − θ_i V s_i‖ under the Lanczos relation;
 * ‖T_m‖ = max |θ| ≤ ‖A‖). A β_m below {@link Slq#BREAKDOWN} of the scale means an invariant Krylov space of
 * dimension m &lt; n: its Ritz pairs are exact, but such a space proves repeated eigenvalues, which a single start
 * vector sees once; so that run, like one that reaches {@code maxSteps} without converging, stops and returns a
 * partial result (converged 0) for the caller to hand to ARPACK's deflated search.
 *
 * <p>Like any single-vector Krylov method it sees one vector per eigenspace: a degenerate top comes back as its
 * distinct values. Each Lanczos vector is applied as the bitwise copy kept in the basis, so a {@link ProductLog}
 * around the operator recognises the basis handed to {@code basis}.
 */
public final class TopLanczos {
  /** The method named in results. */
  public static final String METHOD = "lanczos";

  private TopLanczos() {}

  /**
   * The top k eigenpairs, or a partial result when they do not converge within {@code maxSteps} products.
   *
   * @param op       a symmetric operator
   * @param k        pairs wanted, 1 ≤ k &lt; n
   * @param tol      the residual bound relative to ‖T_m‖; 0 means machine precision (ARPACK's convention)
   * @param maxSteps most Lanczos steps (products), at most n; at least k + 1
   * @param seed     the start vector's seed (as {@link Arpack.Request#seed})
   * @param basis    receives the Lanczos basis and tr T of a converged run; null for none
   * @return k pairs in ascending order (method {@link #METHOD}), or none with complete() false; applications are the
   *         products spent either way
   */
  public static ArpackResult solve(LinearOperator op, int k, double tol, int maxSteps, long seed,
                                   Consumer<KrylovBasis> basis) {
    Checks.symmetricOperator(op);
    int n = op.dim();
    if (k < 1 || k >= n) throw new IllegalArgumentException("k must be in [1, " + (n - 1) + "], got " + k);
    if (!(tol >= 0)) throw new IllegalArgumentException("tol must be >= 0, got " + tol);
    int m = Math.min(maxSteps, n);
    if (m <= k) throw new IllegalArgumentException("maxSteps must be more than k = " + k + ", got " + maxSteps);
    MemoryBudget.check("Lanczos basis (" + m + " × " + n + ")",
        MemoryBudget.doubles(MemoryBudget.mul(m, n), 2L * n, 4L * m + (long) m * m), MemoryBudget.defaultBytes());
    LAPACK lapack = Linalg.lapack();
    double[] q = new double[m * n];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) q[i] = 2.0 * rnd.nextDouble() - 1.0;
    Vec.scale(1.0 / Vec.norm(q, n), q, 0, n);
    double[] x = new double[n];
    double[] w = new double[n];
    double[] alpha = new double[m];
    double[] beta = new double[m];
    double scale = 0;
    int j = 0;
    while (true) {
      System.arraycopy(q, j * n, x, 0, n); // the basis vector's own bits (ProductLog matches them)
      op.apply(x, w);
      alpha[j] = Vec.dot(q, j * n, w, 0, n);
      Vec.orthogonalize(q, j + 1, w, n); // removes α_j q_j and β_{j−1} q_{j−1} too
      beta[j] = Vec.norm(w, n);
      scale = Math.max(scale, Math.max(Math.abs(alpha[j]), beta[j]));
      j++;
      boolean invariant = beta[j - 1] <= Slq.BREAKDOWN * scale || j == n;
      if (j > k || invariant) {
        if (invariant && j < n) {
          // exact pairs, but one per eigenspace the start vector reaches: a space this small proves repeated
          // eigenvalues (or missed ones), so the top k with multiplicity need ARPACK's deflated search
          return partial(n, k, j, "the Krylov space of the start vector became invariant after " + j + " < n = " + n
              + " Lanczos steps: repeated eigenvalues");
        }
        Ritz r = ritz(lapack, alpha, beta, j);
        double norm = Math.max(Math.abs(r.values[0]), Math.abs(r.values[j - 1]));
        boolean converged = true;
        for (int i = j - k; i < j && converged && !invariant; i++) {
          converged = Math.abs(beta[j - 1] * r.vectors[i * j + j - 1]) <= (tol == 0 ? Math.ulp(1.0) : tol) * norm;
        }
        if (invariant || converged) return result(q, n, k, j, alpha, r, basis);
      }
      if (j == m) {
        return partial(n, k, j, "the top " + k + " Ritz pairs had not converged after " + j + " Lanczos steps");
      }
      System.arraycopy(w, 0, q, j * n, n);
      Vec.scale(1.0 / beta[j - 1], q, j * n, n);
    }
  }

  /** The eigenpairs of T_m, ascending; eigenvector i is vectors[i·m .. i·m + m). */
  private record Ritz(double[] values, double[] vectors) {}

  private static Ritz ritz(LAPACK lapack, double[] alpha, double[] beta, int m) {
    double[] d = java.util.Arrays.copyOf(alpha, m);
    double[] e = java.util.Arrays.copyOf(beta, Math.max(1, m - 1));
    double[] z = new double[m * m];
    double[] work = new double[Math.max(1, 2 * m - 2)];
    intW info = new intW(0);
    lapack.dstev("V", m, d, e, z, m, work, info);
    if (info.val != 0) throw new ArithmeticException("LAPACK dstev failed on the Lanczos tridiagonal (m = " + m + ") with info = " + info.val);
    return new Ritz(d, z);
  }

  /** The top k Ritz pairs y_i = V s_i, ascending, and the basis handed over. */
  private static ArpackResult result(double[] q, int n, int k, int m, double[] alpha, Ritz r,
                                     Consumer<KrylovBasis> basis) {
    double[] values = new double[k];
    double[] vecs = new double[k * n];
    for (int i = 0; i < k; i++) {
      int from = m - k + i;
      values[i] = r.values[from];
      for (int j = 0; j < m; j++) Vec.axpy(r.vectors[from * m + j], q, j * n, vecs, i * n, n);
      Vec.scale(1.0 / Math.sqrt(Vec.dot(vecs, i * n, vecs, i * n, n)), vecs, i * n, n);
    }
    if (basis != null) {
      double t = 0;
      for (int j = 0; j < m; j++) t += alpha[j];
      basis.accept(new KrylovBasis(n, m, java.util.Arrays.copyOf(q, m * n), t));
    }
    // iterations 1: one Lanczos run, as ARPACK counts a solve that converges before its first restart
    return new ArpackResult(n, Which.LA, METHOD, k, k, values, vecs, m, 1, 0,
        // no numbers that rounding could change (the step count is the applications): local and distributed
        // products' reports compare as text
        "converged: " + k + " of " + k + " eigenpairs [early-stopping Lanczos, no restart]", Linalg.lapackName());
  }

  private static ArpackResult partial(int n, int k, int m, String why) {
    return new ArpackResult(n, Which.LA, METHOD, k, 0, new double[0], new double[0], m, 0, 1, why, Linalg.lapackName());
  }
}
