package org.hesse.eigen;

import org.hesse.linalg.Linalg;

/**
 * The k largest or smallest eigenpairs of a symmetric operator so that degenerate clusters, zero ones included,
 * come back complete: dense LAPACK for small operators ({@link #DENSE_MAX_DIM}), else ARPACK on the shifted
 * operator A + σI with σ = 2‖A‖. ARPACK's test ‖r‖ ≤ tol·|θ| is relative to each Ritz value θ; after the shift every
 * θ lies in [‖A‖, 3‖A‖], so the test becomes absolute on the scale of ‖A‖ and a cluster at 0 converges like any
 * other. The shift changes neither the Krylov spaces nor the eigenvectors, only the test. Found pairs are deflated
 * and the end searched again, so a degenerate cluster comes back with its multiplicity. A run that stops with
 * info = 1 (iteration limit) or 3 (no shifts) is restarted with twice the Lanczos vectors. {@link #arpackOrDense}
 * bounds that search by the dense path's cost: past n products (or partial) it solves the block densely.
 */
public final class SpectrumEnds {
  /**
   * Largest operator dimension solved densely (n applications to materialise it, then dsyevr): above it, ARPACK.
   * Measured on Hessian blocks of an MLP 20-h-h-10 (tanh, cross-entropy, 512 rows, one batch; block of the middle
   * layer), materialise + dsyevr with vectors against norm estimate + shifted ARPACK top 5 + bottom 5 at tol 1e-8,
   * same run, 2 cores shared with a load of 10–13, best of 3 (ms): p = 42: 110 vs 47; 110: 52 vs 27; 156: 167 vs 75;
   * 240: 92 vs 43; 342: 212 vs 85; 992: 1649 vs 112; 1980: 10383 vs 357; 4032: 60375 vs 906 (all agreeing to
   * 1e-15). ARPACK needs 130–200 applications whatever p, the dense path p (in blocks of 32), so the two meet
   * around p ≈ 100: below that the dense path costs at most about twice as much and needs no convergence at all.
   */
  public static final int DENSE_MAX_DIM = 128;

  /** ARPACK's tolerance for the norm estimate: the shift needs ‖A‖ within a few per cent only. */
  static final double NORM_TOL = 1e-3;
  /**
   * Restarts (per round) with twice the Lanczos vectors after info = 1 or 3: up to 16 times ARPACK's default, which
   * resolves a zero cluster from eigenvalues 3e-6·‖A‖ above it (a cross-entropy last layer) to 1e-8·‖A‖.
   */
  static final int MAX_RESTARTS = 4;

  private SpectrumEnds() {}

  /**
   * The k eigenpairs at one end of a dense spectrum, in ARPACK's result form (ascending, method {@code "dense"}).
   *
   * @param s     the whole spectrum with eigenvectors
   * @param which {@link Which#LA} (top) or {@link Which#SA} (bottom)
   * @param k     pairs wanted (at most n are returned)
   * @return a complete result whose applications are the n used to materialise the operator
   */
  public static ArpackResult fromDense(DenseSpectrum s, Which which, int k) {
    if (which != Which.LA && which != Which.SA) throw new IllegalArgumentException("which must be LA or SA, got " + which);
    int n = s.n();
    int m = Math.min(k, s.count());
    int first = which == Which.LA ? s.count() - m : 0;
    double[] values = new double[m];
    double[] vecs = new double[n * m];
    System.arraycopy(s.eigenvalues(), first, values, 0, m);
    System.arraycopy(s.eigenvectors(), first * n, vecs, 0, n * m);
    return new ArpackResult(n, which, "dense", m, m, values, vecs, n, 0, 0,
        "solved densely by LAPACK dsyevr (n = " + n + ")", Linalg.lapackName());
  }

  /**
   * The operator's dense spectrum with eigenvectors, when it is at most {@code maxDim} and fits the budget.
   *
   * @param op     a symmetric operator
   * @param maxDim the largest dimension to solve densely
   * @param budget bytes for the matrix and dsyevr's workspace
   * @return the spectrum, or null when op is too large for either limit
   */
  public static DenseSpectrum denseIfSmall(LinearOperator op, int maxDim, long budget) {
    int n = op.dim();
    if (n > maxDim || !denseFits(n, budget)) return null;
    return dense(op, budget);
  }

  /** Whether the n × n matrix, its materialisation buffers and dsyevr's workspace fit {@code budget} bytes. */
  static boolean denseFits(int n, long budget) {
    long need = MemoryBudget.doubles(MemoryBudget.mul(n, n), 2L * DenseEigen.MATERIALIZE_BLOCK * n);
    long dsyevr = DenseEigen.bytesNeeded(n, n, true);
    return need != Long.MAX_VALUE && dsyevr != Long.MAX_VALUE && need + dsyevr <= budget;
  }

  /** The whole spectrum with eigenvectors: n products (k-direction applies in blocks), then dsyevr. */
  private static DenseSpectrum dense(LinearOperator op, long budget) {
    return DenseEigen.compute(Linalg.lapack(), DenseEigen.materialize(op, budget), op.dim(), 'A', 0, 0, 0, 0, true, budget);
  }

  /**
   * {@link #arpack} with its cost bounded by the dense path's: when the block fits {@code budget} as a dense matrix,
   * ARPACK may spend at most n products (what materialising the block costs); a search that needs more, or that
   * ends partial, is abandoned for the dense spectrum (n products in k-direction applies, then dsyevr), which is
   * complete whatever the clusters. So the whole end costs at most 2n products beyond the norm estimate. The
   * 310-parameter cross-entropy last layer with a 31-fold zero cluster took 96,832 products (12.4 s) for its
   * bottom 3 by ARPACK alone; bounded, it takes 620 (BottomEndTest). Where the dense matrix does not fit, this is
   * {@link #arpack} unchanged. The result says which path gave it: method "arpack", or "dense" with a message
   * naming the abandoned search; its applications count both.
   *
   * @param op            a symmetric operator
   * @param which         {@link Which#LA} or {@link Which#SA}
   * @param k             pairs wanted, &lt;= n
   * @param norm          ‖A‖ (NaN: plain, unshifted ARPACK)
   * @param tol           as {@link #arpack}
   * @param ncv           as {@link #arpack}
   * @param maxIterations as {@link #arpack}
   * @param seed          as {@link #arpack}
   * @param budget        bytes the dense path may use (the matrix, its buffers and dsyevr's workspace)
   * @return the pairs, ascending; complete whenever the dense path fits
   */
  public static ArpackResult arpackOrDense(LinearOperator op, Which which, int k, double norm, double tol, int ncv,
                                           int maxIterations, long seed, long budget) {
    int n = op.dim();
    if (!denseFits(n, budget)) return arpack(op, which, k, norm, tol, ncv, maxIterations, seed);
    Capped capped = new Capped(op, n);
    String why;
    try {
      ArpackResult r = arpack(capped, which, k, norm, tol, ncv, maxIterations, seed);
      if (r.complete()) return r;
      why = "ARPACK ended partial (" + r.message() + ")";
    } catch (Capped.Reached e) {
      why = "ARPACK had spent n = " + n + " products, the dense path's cost, without converging";
    }
    ArpackResult d = fromDense(dense(op, budget), which, k);
    return new ArpackResult(n, which, d.method(), d.requested(), d.converged(), d.eigenvalues(), d.eigenvectors(),
        capped.spent + d.applications(), 0, 0, why + ": solved densely by LAPACK dsyevr (n = " + n + ")", d.backend());
  }

  /** An operator that refuses products beyond a cap, by throwing (ARPACK's loop runs them one at a time). */
  private static final class Capped implements LinearOperator {
    /** The cap was reached; no stack trace: it is control flow. */
    static final class Reached extends RuntimeException {
      Reached() {
        super("product cap reached", null, false, false);
      }
    }

    private final LinearOperator op;
    private final long cap;
    long spent;

    Capped(LinearOperator op, long cap) {
      this.op = op;
      this.cap = cap;
    }

    @Override public int dim() {
      return op.dim();
    }

    @Override public void apply(double[] x, double[] y) {
      if (spent >= cap) throw new Reached();
      spent++;
      op.apply(x, y);
    }

    @Override public void applyMany(double[] x, double[] y, int k) {
      if (spent + k > cap) throw new Reached();
      spent += k;
      op.applyMany(x, y, k);
    }

    @Override public boolean symmetric() {
      return op.symmetric();
    }
  }

  /**
   * ‖A‖ = max |λ| from ARPACK's largest-magnitude Ritz value (which converges reliably: |θ| is large).
   *
   * @param op   a symmetric operator
   * @param seed the start vector's seed
   * @return the estimate, or NaN when ARPACK did not converge (e.g. A = 0)
   */
  public static double normEstimate(LinearOperator op, long seed) {
    ArpackResult r = Arpack.request(1).which(Which.LM).tol(NORM_TOL).seed(seed).vectors(false).solve(op);
    return r.complete() ? Math.abs(r.eigenvalues()[0]) : Double.NaN;
  }

  /**
   * The Lanczos vectors of {@link #arpack}'s first solve: {@code ncv}, or ARPACK's default max(2k + 1, 20) for 0;
   * at most n.
   *
   * @param n   the operator's dimension
   * @param k   pairs wanted
   * @param ncv the option (0: the default)
   * @return the basis size of the first solve
   */
  public static int lanczosVectors(int n, int k, int ncv) {
    return Math.min(n, ncv == 0 ? Math.max(2 * k + 1, 20) : ncv);
  }

  /**
   * k eigenpairs at one end by ARPACK on A + σI, σ = 2·norm (no shift when norm is 0 or NaN), restarted with twice
   * the Lanczos vectors while info is 1 or 3. A single-vector Krylov method finds one vector per eigenspace, so a
   * degenerate cluster (the zero cluster) would come back once: the pairs found are locked, moved out of the way
   * by a rank-k update (A + c·VVᵀ, c = ∓4·norm) and the end searched again from a fresh start vector, until a round
   * no longer lowers (raises, for the top) the k-th value by more than tol·norm. The message states the shift,
   * the rounds and the restarts; applications are summed over all of them.
   *
   * @param op            a symmetric operator
   * @param which         {@link Which#LA} or {@link Which#SA}
   * @param k             pairs wanted, &lt;= n
   * @param norm          ‖A‖ (e.g. {@link #normEstimate})
   * @param tol           ARPACK's tolerance, relative to the shifted Ritz values, so about tol·‖A‖ absolute
   * @param ncv           Lanczos vectors (0: ARPACK's default min(n, max(2k + 1, 20)))
   * @param maxIterations ARPACK's limit on implicit restarts
   * @param seed          the start vector's seed (round r uses seed + r)
   * @return the converged pairs (ascending, unshifted); partial when ARPACK still stopped early
   */
  public static ArpackResult arpack(LinearOperator op, Which which, int k, double norm, double tol, int ncv,
                                    int maxIterations, long seed) {
    return arpack(op, which, k, norm, tol, ncv, maxIterations, seed, null);
  }

  /**
   * {@link #arpack(LinearOperator, Which, int, double, double, int, int, long)}, handing the Lanczos basis of the
   * solve that gave the result to {@code basis} (see {@link Arpack.Request#basis}); only for a plain search (norm
   * NaN), whose one round is the result: a shifted, deflated search hands none over.
   *
   * @param op            a symmetric operator
   * @param which         {@link Which#LA} or {@link Which#SA}
   * @param k             pairs wanted, &lt;= n
   * @param norm          ‖A‖, or NaN for the plain search
   * @param tol           ARPACK's tolerance
   * @param ncv           Lanczos vectors (0: ARPACK's default)
   * @param maxIterations ARPACK's limit on implicit restarts
   * @param seed          the start vector's seed
   * @param basis         receives the basis of each converged solve (the last one is the result's); null for none
   * @return as the other overload
   */
  public static ArpackResult arpack(LinearOperator op, Which which, int k, double norm, double tol, int ncv,
                                    int maxIterations, long seed, java.util.function.Consumer<KrylovBasis> basis) {
    if (which != Which.LA && which != Which.SA) throw new IllegalArgumentException("which must be LA or SA, got " + which);
    int n = op.dim();
    boolean scaled = norm > 0 && Double.isFinite(norm);
    double sigma = scaled ? 2 * norm : 0.0;
    // locked pairs, best first (smallest for SA, largest for LA)
    double[] values = new double[0];
    double[][] vecs = new double[0][];
    long applications = 0;
    int iterations = 0;
    int rounds = 0;
    int restarts = 0;
    ArpackResult last;
    while (true) {
      LinearOperator deflated = scaled ? deflate(op, vecs, which == Which.SA ? 4 * norm : -4 * norm) : op;
      int v = lanczosVectors(n, k, ncv);
      while (true) {
        last = Arpack.request(k).which(which).tol(tol).ncv(k >= n - 1 ? 0 : v).maxIterations(maxIterations)
            .seed(seed + rounds).shift(sigma).vectors(true).basis(scaled ? null : basis).solve(deflated);
        applications += last.applications();
        iterations += last.iterations();
        boolean roomForMore = v < n && MemoryBudget.mul(n, 2L * v) <= MemoryBudget.defaultBytes() / 16;
        if (last.complete() || !(last.info() == 1 || last.info() == 3) || !roomForMore || restarts >= MAX_RESTARTS * (rounds + 1)) break;
        v = Math.min(n, 2 * v);
        restarts++;
      }
      rounds++;
      double before = values.length < k ? Double.NaN : values[k - 1];
      int m = last.eigenvalues().length;
      double[] mergedValues = java.util.Arrays.copyOf(values, values.length + m);
      double[][] mergedVecs = java.util.Arrays.copyOf(vecs, vecs.length + m);
      for (int j = 0; j < m; j++) {
        mergedValues[values.length + j] = last.eigenvalues()[j];
        mergedVecs[vecs.length + j] = last.eigenvector(j);
      }
      Integer[] order = new Integer[mergedValues.length];
      for (int i = 0; i < order.length; i++) order[i] = i;
      double sign = which == Which.SA ? 1 : -1;
      java.util.Arrays.sort(order, java.util.Comparator.comparingDouble(i -> sign * mergedValues[i]));
      values = new double[order.length];
      vecs = new double[order.length][];
      for (int i = 0; i < order.length; i++) {
        values[i] = mergedValues[order[i]];
        vecs[i] = mergedVecs[order[i]];
      }
      boolean exact = last.method().startsWith("dense");
      boolean improved = values.length >= k && (Double.isNaN(before) || sign * (before - values[k - 1]) > Math.max(tol, 1e-12) * norm);
      // a partial round or one that found nothing better ends the search; rounds are bounded by k + 1 (one copy each)
      if (!scaled || exact || !last.complete() || !improved || rounds > k || vecs.length + k >= n - 1) break;
    }
    int got = Math.min(k, values.length);
    double[] outValues = new double[got];
    double[] outVecs = new double[n * got];
    for (int j = 0; j < got; j++) {
      // ascending, as ARPACK returns them
      int from = which == Which.SA ? j : got - 1 - j;
      outValues[j] = values[from];
      System.arraycopy(vecs[from], 0, outVecs, j * n, n);
    }
    boolean complete = got >= k;
    // no numbers that rounding could change: reports of local and distributed products compare as text
    String note = " [" + (sigma > 0 ? "shifted by 2‖A‖" : "unshifted") + ", " + rounds + " round(s) with deflation of the pairs found"
        + (restarts > 0 ? ", " + restarts + " restart(s) with more Lanczos vectors" : "") + "]";
    String message = complete ? "converged: " + got + " of " + k + " eigenpairs" + note : last.message() + note;
    return new ArpackResult(n, which, last.method(), k, got, outValues, outVecs, applications, iterations,
        complete ? 0 : last.info(), message, last.backend());
  }

  /** A + c·Σ v vᵀ over the given orthonormal vectors: moves them to λ + c, out of the end being searched. */
  private static LinearOperator deflate(LinearOperator op, double[][] vecs, double c) {
    if (vecs.length == 0) return op;
    int n = op.dim();
    return new LinearOperator() {
      @Override public int dim() {
        return n;
      }

      @Override public void apply(double[] x, double[] y) {
        op.apply(x, y);
        for (double[] v : vecs) {
          double d = 0;
          for (int i = 0; i < n; i++) d += v[i] * x[i];
          d *= c;
          for (int i = 0; i < n; i++) y[i] += d * v[i];
        }
      }

      @Override public boolean symmetric() {
        return op.symmetric();
      }
    };
  }
}
