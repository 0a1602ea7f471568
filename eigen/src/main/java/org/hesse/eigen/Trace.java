package org.hesse.eigen;

import org.hesse.eigen.Probes.Distribution;

/**
 * Matrix-free trace and norm estimators.
 * <ul>
 *   <li>Hutchinson: tr A ≈ mean zᵀAz, z Rademacher or Gaussian (variance 2‖A‖F² − 2Σa_ii² resp. 2‖A‖F²).</li>
 *   <li>Hutch++ (Meyer, Musco, Musco &amp; Woodruff 2021, Algorithm 1) with a fixed budget of applications:
 *       s = ⌊budget/3⌋ sketch vectors S, Q = orth(AS), tr(QᵀAQ) exactly, and Hutchinson with the remaining
 *       budget − s − rank(AS) probes on (I − QQᵀ)A(I − QQᵀ). Each of the three parts is one k-direction apply
 *       (applyMany), which costs less per direction than single products where the operator batches them.</li>
 *   <li>Frobenius norm²: ‖A‖F² = E‖Az‖² for Rademacher z.</li>
 * </ul>
 */
public final class Trace {
  private Trace() {}

  /**
   * Hutchinson's estimate mean zᵀAz.
   *
   * @param op      the operator
   * @param samples number of probes, &gt; 0
   * @param dist    the probes' distribution
   * @param seed    seed of the probes
   * @return the estimate with its standard error
   */
  public static TraceEstimate hutchinson(LinearOperator op, int samples, Distribution dist, long seed) {
    Checks.operator(op);
    Checks.positive("samples", samples);
    Checks.notNull("dist", dist);
    int n = op.dim();
    double[] z = new double[n];
    double[] y = new double[n];
    double[] vals = new double[samples];
    for (int s = 0; s < samples; s++) {
      Probes.fill(dist, seed, s, z, n);
      op.apply(z, y);
      vals[s] = Vec.dot(z, y, n);
    }
    return new TraceEstimate(SlqResult.mean(vals), SlqResult.stdError(vals), samples, samples,
        "hutchinson-" + dist.name().toLowerCase());
  }

  /**
   * Hutch++ with Rademacher vectors.
   *
   * @param op     the operator
   * @param budget operator applications, &gt;= 3
   * @param seed   seed of the sketch and the probes
   * @return the estimate with the standard error of its Hutchinson part (NaN with fewer than 2 probes)
   */
  public static TraceEstimate hutchPlusPlus(LinearOperator op, int budget, long seed) {
    Checks.operator(op);
    if (budget < 3) throw new IllegalArgumentException("budget must be >= 3 operator applications, got " + budget);
    int n = op.dim();
    int s = Math.min(budget / 3, n);
    MemoryBudget.check("Hutch++ sketch (" + s + " × " + n + ", four blocks)",
        MemoryBudget.doubles(4L * MemoryBudget.mul(s, n), 2L * n), MemoryBudget.defaultBytes());
    double[] sk = new double[s * n];
    for (int j = 0; j < s; j++) {
      double[] col = Probes.probe(Distribution.RADEMACHER, seed, j, n);
      System.arraycopy(col, 0, sk, j * n, n);
    }
    double[] q = new double[s * n];
    op.applyMany(sk, q, s);
    long apps = s;
    // Orthonormalise AS column by column (two Gram–Schmidt passes); drop numerically dependent columns.
    int r = 0;
    double maxNorm = 0;
    for (int j = 0; j < s; j++) maxNorm = Math.max(maxNorm, Math.sqrt(Vec.dot(q, j * n, q, j * n, n)));
    double[] col = new double[n];
    for (int j = 0; j < s; j++) {
      System.arraycopy(q, j * n, col, 0, n);
      Vec.orthogonalize(q, r, col, n);
      double nrm = Vec.norm(col, n);
      if (nrm <= 1e-12 * maxNorm || nrm == 0) continue;
      Vec.scale(1.0 / nrm, col, 0, n);
      System.arraycopy(col, 0, q, r * n, n);
      r++;
    }
    double exact = 0;
    if (r > 0) {
      double[] aq = sk; // reuse the sketch's storage for A Q
      op.applyMany(q, aq, r);
      apps += r;
      for (int j = 0; j < r; j++) exact += Vec.dot(q, j * n, aq, j * n, n);
    }
    // Applications saved when AS was rank deficient go to the Hutchinson part: the budget is always spent.
    int g = budget - s - r;
    // Probe indices continue after the sketch's so the two are independent.
    double[] vals = projectedProbes(op, q, r, g, s, seed);
    apps += g;
    double rest = g > 0 ? SlqResult.mean(vals) : 0.0;
    double se = g > 1 ? SlqResult.stdError(vals) : Double.NaN;
    return new TraceEstimate(exact + rest, se, s + g, apps, "hutch++");
  }

  /**
   * zᵀ(I−QQᵀ)A(I−QQᵀ)z for g Rademacher probes z (indices first, first + 1, …), projected on both sides, in one
   * k-direction apply (in blocks of at most as many vectors as Q has, so the memory stays that of Q): a blocked
   * product costs less per direction than single ones.
   */
  private static double[] projectedProbes(LinearOperator op, double[] q, int r, int g, int first, long seed) {
    int n = op.dim();
    double[] vals = new double[g];
    int block = Math.max(1, Math.min(g, Math.max(r, 1)));
    double[] z = new double[block * n];
    double[] y = new double[block * n];
    double[] col = new double[n];
    for (int t0 = 0; t0 < g; t0 += block) {
      int b = Math.min(block, g - t0);
      for (int j = 0; j < b; j++) {
        Probes.fill(Distribution.RADEMACHER, seed, first + t0 + j, col, n);
        Vec.orthogonalize(q, r, col, n); // z ← (I − QQᵀ) z
        System.arraycopy(col, 0, z, j * n, n);
      }
      op.applyMany(z, y, b);
      for (int j = 0; j < b; j++) vals[t0 + j] = Vec.dot(z, j * n, y, j * n, n);
    }
    return vals;
  }

  /**
   * ‖A‖F² ≈ mean ‖Az‖², z Rademacher.
   *
   * @param op      the operator
   * @param samples number of probes, &gt; 0
   * @param seed    seed of the probes
   * @return the estimate with its standard error
   */
  public static TraceEstimate frobeniusSquared(LinearOperator op, int samples, long seed) {
    Checks.operator(op);
    Checks.positive("samples", samples);
    int n = op.dim();
    double[] z = new double[n];
    double[] y = new double[n];
    double[] vals = new double[samples];
    for (int s = 0; s < samples; s++) {
      Probes.fill(Distribution.RADEMACHER, seed, s, z, n);
      op.apply(z, y);
      vals[s] = Vec.dot(y, y, n);
    }
    return new TraceEstimate(SlqResult.mean(vals), SlqResult.stdError(vals), samples, samples,
        "frobenius²-rademacher");
  }
}
