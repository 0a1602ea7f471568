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
    return hutchPlusPlus(op, budget, seed, new double[0], new double[0], 0);
  }

  /**
   * Hutch++ whose Q starts with k known orthonormal vectors V whose products AV are known too (an eigen-solver's
   * converged top eigenvectors and the products that checked their residuals): Q has Hutch++'s ⌊budget/3⌋ columns,
   * V then the sketch of ⌊budget/3⌋ − k Rademacher vectors orthogonalised against V, and the Hutchinson part has
   * Hutch++'s probes. tr A = tr(QᵀAQ) + tr((I−QQᵀ)A(I−QQᵀ)) holds for any orthonormal Q, and the probes are
   * independent of Q, so the estimate is unbiased as Hutch++'s is; V's columns cost no products, so the estimate
   * costs budget − 2k (at k = 5 of budget 30: 20 products, with the top five directions of Q exact instead of
   * sketched). With k = 0 this is {@link #hutchPlusPlus(LinearOperator, int, long)}, method "hutch++"; else the
   * method is "hutch++-eigenvectors". Vectors beyond ⌊budget/3⌋ are not used.
   *
   * @param op     the operator
   * @param budget operator applications Hutch++ would spend, &gt;= 3
   * @param seed   seed of the sketch and the probes
   * @param v      k orthonormal vectors, k consecutive blocks of n
   * @param av     A·v in the same layout
   * @param k      number of known vectors, &gt;= 0
   * @return the estimate with the standard error of its Hutchinson part (NaN with fewer than 2 probes)
   */
  public static TraceEstimate hutchPlusPlus(LinearOperator op, int budget, long seed, double[] v, double[] av, int k) {
    Checks.operator(op);
    if (budget < 3) throw new IllegalArgumentException("budget must be >= 3 operator applications, got " + budget);
    if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
    int n = op.dim();
    Checks.length("v", v, (long) k * n);
    Checks.length("av", av, (long) k * n);
    int s0 = Math.min(budget / 3, n);  // Q's columns, as in Hutch++
    int known = Math.min(k, s0);
    int s = s0 - known;  // sketch vectors
    MemoryBudget.check("Hutch++ sketch (" + s0 + " × " + n + ", four blocks)",
        MemoryBudget.doubles(4L * MemoryBudget.mul(s0, n), 2L * n), MemoryBudget.defaultBytes());
    double[] q = new double[s0 * n];
    double[] aq = new double[s0 * n];
    System.arraycopy(v, 0, q, 0, known * n);
    System.arraycopy(av, 0, aq, 0, known * n);
    double[] sk = new double[s * n];
    for (int j = 0; j < s; j++) System.arraycopy(Probes.probe(Distribution.RADEMACHER, seed, j, n), 0, sk, j * n, n);
    double[] as = new double[s * n];
    if (s > 0) op.applyMany(sk, as, s);
    long apps = s;
    // Orthonormalise AS column by column against Q (two Gram–Schmidt passes); drop numerically dependent columns.
    int r = known;
    double maxNorm = 0;
    for (int j = 0; j < s; j++) maxNorm = Math.max(maxNorm, Math.sqrt(Vec.dot(as, j * n, as, j * n, n)));
    double[] col = new double[n];
    for (int j = 0; j < s; j++) {
      System.arraycopy(as, j * n, col, 0, n);
      Vec.orthogonalize(q, r, col, n);
      double nrm = Vec.norm(col, n);
      if (nrm <= 1e-12 * maxNorm || nrm == 0) continue;
      Vec.scale(1.0 / nrm, col, 0, n);
      System.arraycopy(col, 0, q, r * n, n);
      r++;
    }
    if (r > known) {
      // A times the new columns, into the sketch's storage, then beside the known products
      double[] fresh = java.util.Arrays.copyOfRange(q, known * n, r * n);
      op.applyMany(fresh, as, r - known);
      System.arraycopy(as, 0, aq, known * n, (r - known) * n);
      apps += r - known;
    }
    double exact = 0;
    for (int j = 0; j < r; j++) exact += Vec.dot(q, j * n, aq, j * n, n);
    // Applications saved when AS was rank deficient go to the Hutchinson part: the budget is always spent.
    int g = budget - s0 - r;
    // Probe indices continue after the sketch's so the two are independent.
    double[] vals = projectedProbes(op, q, r, g, s0, seed);
    apps += g;
    double rest = g > 0 ? SlqResult.mean(vals) : 0.0;
    double se = g > 1 ? SlqResult.stdError(vals) : Double.NaN;
    return new TraceEstimate(exact + rest, se, s + g, apps, known > 0 ? "hutch++-eigenvectors" : "hutch++");
  }

  /**
   * Hutch++ whose Q is an eigen-solve's Lanczos basis (Krylov-aware Hutch++): tr A = tr(VᵀAV) + tr((I−VVᵀ)A(I−VVᵀ))
   * for the orthonormal basis V, whose first part tr T ARPACK's tridiagonal T gives without products; the second by
   * Hutchinson with {@code probes} Rademacher vectors projected on both sides, in k-direction applies. The basis
   * depends only on the solver's start vector, not on the probes, so the estimate is unbiased as Hutch++'s is; a
   * Krylov space holds the dominant directions better than a sketch of the same size. Costs only the probes.
   *
   * @param op     the operator the basis was built on
   * @param basis  the converged solve's basis ({@link Arpack.Request#basis})
   * @param probes Hutchinson probes, &gt; 0
   * @param seed   seed of the probes
   * @return the estimate with the standard error of its Hutchinson part (NaN with fewer than 2 probes); method
   *         "hutch++-krylov"
   */
  public static TraceEstimate hutchPlusPlusOnBasis(LinearOperator op, KrylovBasis basis, int probes, long seed) {
    Checks.operator(op);
    Checks.notNull("basis", basis);
    Checks.positive("probes", probes);
    if (basis.n() != op.dim()) throw new IllegalArgumentException("basis: expected dimension " + op.dim() + ", got " + basis.n());
    double[] vals = projectedProbes(op, basis.vectors(), basis.m(), probes, 0, seed);
    double se = probes > 1 ? SlqResult.stdError(vals) : Double.NaN;
    return new TraceEstimate(basis.traceT() + SlqResult.mean(vals), se, probes, probes, "hutch++-krylov");
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
