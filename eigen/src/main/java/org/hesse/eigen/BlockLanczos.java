package org.hesse.eigen;

import dev.ludovic.netlib.blas.BLAS;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.hesse.linalg.Linalg;

/**
 * The k largest eigenpairs of a symmetric operator by block Lanczos that stops as soon as they have converged.
 * ARPACK (ncv = 20) converges the top of a Hessian block at the end of its first Lanczos run far below the
 * tolerance, and a single start vector sees each eigenspace once; a block of b start vectors sees min(b, multiplicity)
 * vectors of each eigenspace, and its b vectors go through the operator's {@link LinearOperator#applyMany} together,
 * which costs less than b single products where the operator batches them.
 *
 * <p>The start block is b vectors uniform(−1, 1) from one generator seeded with {@code seed} (the first is ARPACK's
 * start vector). Each step applies the current block W = A·Q_j, projects it off the whole basis by block classical
 * Gram–Schmidt twice (dgemm), and orthonormalises the rest within itself (Gram–Schmidt twice), which gives the next
 * block Q_{j+1} and B_j in W = Q_j A_j + Q_{j−1} B_{j−1}ᵀ + Q_{j+1} B_j. A column whose norm after that is at most
 * {@link Slq#BREAKDOWN} of the scale is dropped (the block shrinks: those directions are already in the basis).
 * After every step that has more than k basis vectors, the block tridiagonal T's eigenpairs (θ_i, s_i) by dense LAPACK;
 * the top k have converged when ‖B_j s_i‖ over the last block's rows of s_i is at most tol·‖T‖ (the Ritz residual
 * ‖A V s_i − θ_i V s_i‖; ‖T‖ = max |θ| ≤ ‖A‖). An empty next block means an invariant subspace: its Ritz pairs are
 * exact. A run that would exceed {@code maxProducts} first, or whose invariant subspace has fewer than k vectors,
 * stops with a partial result for the caller to hand to ARPACK. A block of b vectors is applied at once, as b
 * applications.
 *
 * <p>Repeated eigenvalues: a generic start block of b vectors finds min(b, multiplicity) copies of each eigenvalue.
 * When a value above the k-th of the converged top k comes back b times (within √ε·‖T‖), it may have more copies that
 * belong among the top k; so may any value above the k-th when the space became invariant before n (that proves a
 * value repeated more than b times). Then the search runs again with a block of k, which finds every copy that
 * belongs among the top k (k copies of one value reach the k-th place), within the products left; both runs' products
 * are counted. Limits: with b = 1 a repeated value whose Krylov space does not become invariant is seen once, and the
 * next values take the missing copies' places, labelled converged (their residuals are true residuals: the count is
 * short); with b ≥ 2 a cluster narrower than √ε·‖T‖ counts as copies (which costs the second run only); and, as for
 * any Krylov method, a start block orthogonal to part of an eigenspace misses that part.
 *
 * <p>Each basis column is applied as the bitwise copy kept in the basis, so a {@link ProductLog} around the operator
 * recognises the basis handed to {@code basis}. Products are counted per vector: a block of b vectors is b
 * applications.
 */
public final class BlockLanczos {
  /** The method named in results. */
  public static final String METHOD = "block-lanczos";

  private BlockLanczos() {}

  /**
   * The top k eigenpairs, or a partial result when they do not converge within {@code maxProducts} products.
   *
   * @param op          a symmetric operator
   * @param k           pairs wanted, 1 ≤ k &lt; n
   * @param blockSize   start vectors b, ≥ 1 (at most n): 1 is single-vector Lanczos, blind to repeated values;
   *                    2 the fewest that sees them (and then runs again with k)
   * @param tol         the residual bound relative to ‖T‖; 0 means machine precision (ARPACK's convention)
   * @param maxProducts most operator products (vectors applied), at least k + 1; at most n are made
   * @param seed        the start block's seed
   * @param basis       receives the Lanczos basis and tr T of a converged run; null for none
   * @return k pairs in ascending order (method {@link #METHOD}), or none with complete() false; applications are the
   *         products spent either way
   */
  public static ArpackResult solve(LinearOperator op, int k, int blockSize, double tol, int maxProducts, long seed,
                                   Consumer<KrylovBasis> basis) {
    Checks.symmetricOperator(op);
    int n = op.dim();
    if (k < 1 || k >= n) throw new IllegalArgumentException("k must be in [1, " + (n - 1) + "], got " + k);
    if (blockSize < 1) throw new IllegalArgumentException("blockSize must be >= 1, got " + blockSize);
    if (!(tol >= 0)) throw new IllegalArgumentException("tol must be >= 0, got " + tol);
    if (maxProducts <= k) throw new IllegalArgumentException("maxProducts must be more than k = " + k + ", got " + maxProducts);
    int b = Math.min(blockSize, n);
    int m = Math.min(maxProducts, n);
    int capacity = m + b;  // the applied columns and the next block, whose B_j the test needs
    MemoryBudget.check("block Lanczos basis (" + capacity + " × " + n + ")",
        MemoryBudget.doubles(MemoryBudget.mul(capacity, n), 2L * b * n, 3L * capacity * capacity),
        MemoryBudget.defaultBytes());
    BLAS blas = Linalg.blas();
    double[] q = new double[Math.min(capacity, 2 * b) * n];  // grows with the basis: most runs stop early
    double[] t = new double[capacity * capacity];  // T, row-major, symmetric; order: the applied columns
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < b * n; i++) q[i] = 2.0 * rnd.nextDouble() - 1.0;
    double[] w = new double[b * n];
    double[] coef = new double[capacity * b];
    double[] scratch = new double[capacity * b];
    double[] r = new double[b * b];  // the within-block coefficients, R (row: accepted column, column: w's)
    // the start block orthonormalised in place (its R is not part of T)
    System.arraycopy(q, 0, w, 0, b * n);
    int bc = orthonormalize(blas, w, b, q, n, 0, coef, scratch, r, 0.0);
    double scale = 0;
    double tolerance = tol == 0 ? Math.ulp(1.0) : tol;
    int c0 = 0;  // the current block's first column
    while (true) {
      int applied = c0 + bc;
      // the basis columns' own bits go to the operator (a ProductLog matches them)
      op.applyMany(Arrays.copyOfRange(q, c0 * n, applied * n), w, bc);
      if (q.length < (applied + bc) * n) q = Arrays.copyOf(q, Math.min(capacity, Math.max(2 * applied, applied + bc)) * n);
      int next = orthonormalize(blas, w, bc, q, n, applied, coef, scratch, r, Slq.BREAKDOWN * scale);
      // A_j = Q_jᵀ A Q_j (symmetrised) from the projection's coefficients in the current block's rows
      for (int s = 0; s < bc; s++) {
        for (int i = 0; i <= s; i++) {
          double a = 0.5 * (coef[s * applied + c0 + i] + coef[i * applied + c0 + s]);
          t[(c0 + i) * capacity + c0 + s] = a;
          t[(c0 + s) * capacity + c0 + i] = a;
          scale = Math.max(scale, Math.abs(a));
        }
      }
      // B_j (the next block's rows, the current block's columns) below the diagonal block, its transpose beside it;
      // the coefficients against older blocks are B_{j−1}ᵀ, already in T, and rounding
      for (int i = 0; i < next; i++) {
        for (int s = 0; s < bc; s++) {
          double v = r[s * b + i];
          t[(applied + i) * capacity + c0 + s] = v;
          t[(c0 + s) * capacity + applied + i] = v;
          scale = Math.max(scale, Math.abs(v));
        }
      }
      boolean invariant = next == 0 || applied == n;
      if (applied > k || invariant) {
        if (applied < k) {
          return partial(n, k, applied, "the block Krylov space became invariant with " + applied + " < k = " + k
              + " vectors");
        }
        DenseSpectrum ritz = DenseEigen.all(leading(t, capacity, applied), applied, true);
        double[] theta = ritz.eigenvalues();
        double norm = Math.max(Math.abs(theta[0]), Math.abs(theta[applied - 1]));
        boolean converged = true;
        for (int i = applied - k; i < applied && converged && !invariant; i++) {
          // the Ritz residual ‖B_j s_i‖ over the current block's rows of s_i
          double[] s = ritz.eigenvector(i);
          double res = 0;
          for (int a = 0; a < next; a++) {
            double d = 0;
            for (int c = 0; c < bc; c++) d += r[c * b + a] * s[c0 + c];
            res += d * d;
          }
          converged = Math.sqrt(res) <= tolerance * norm;
        }
        // a search that spanned all n dimensions has every eigenvalue exactly, copies included
        if ((invariant || converged) && applied < n && (invariant || b > 1) && copiesAboveKth(theta, k, b, norm)) {
          // it may have more copies than the block found: again with a block of k, which finds every copy that
          // belongs among the top k
          String why = b > 1 ? "a value above the " + k + "-th came back " + b + " times, as many as the block size"
              : "the Krylov space became invariant after " + applied + " < n = " + n + " products: repeated values";
          if (b >= k || m - applied <= k) return partial(n, k, applied, why + ": it may have more copies");
          ArpackResult again = solve(op, k, k, tol, m - applied, seed, basis);
          return new ArpackResult(n, Which.LA, METHOD, k, again.converged(), again.eigenvalues(), again.eigenvectors(),
              again.applications() + applied, again.iterations(), again.info(),
              why + " after " + applied + " products; with a block of " + k + ": " + again.message(), again.backend());
        }
        if (invariant || converged) return result(q, n, k, applied, t, capacity, ritz, basis);
      }
      if (applied + next > m) {
        return partial(n, k, applied, "the top " + k + " Ritz pairs had not converged after " + applied
            + " products (block Lanczos, block size " + b + ")");
      }
      c0 = applied;
      bc = next;
    }
  }

  /**
   * Whether a Ritz value above the k-th of the top k appears b times (within √ε·‖T‖). A generic start block finds
   * min(b, multiplicity) copies of an eigenvalue, so such a value may have more copies that belong among the top k;
   * b copies that reach the k-th value leave the top k right whatever the multiplicity. Evidence where b &gt; 1, or
   * where the space became invariant before n (which proves some eigenvalue has more than b copies).
   */
  private static boolean copiesAboveKth(double[] theta, int k, int b, double norm) {
    int m = theta.length;
    double same = Math.sqrt(Math.ulp(1.0)) * norm;
    for (int i = m - k + 1; i < m; i++) {
      if (theta[i] - theta[m - k] <= same) continue;
      int copies = 0;
      for (double v : theta) if (Math.abs(v - theta[i]) <= same) copies++;
      if (copies >= b) return true;
    }
    return false;
  }

  /**
   * Projects the bc columns of w (n each) off q's first {@code basisCols} columns by classical Gram–Schmidt twice
   * (dgemm), then orthonormalises them within themselves (Gram–Schmidt twice against the columns accepted so far),
   * appending the accepted ones to q from column basisCols on. A column whose norm is then at most
   * max({@code drop}, BREAKDOWN·its norm before) is dropped: it lies in the basis already.
   *
   * @param coef receives the projection's coefficients Qᵀ w (basisCols × bc, column-major), summed over both passes
   * @param r    receives the within-block coefficients: r[s·b' + i] for w's column s and accepted column i, b' the
   *             row stride (bc ≤ b'), with the accepted column's norm on its own column
   * @return the columns accepted
   */
  private static int orthonormalize(BLAS blas, double[] w, int bc, double[] q, int n, int basisCols, double[] coef,
                                    double[] scratch, double[] r, double drop) {
    int stride = (int) Math.sqrt(r.length);
    Arrays.fill(r, 0.0);
    double[] before = new double[bc];
    for (int s = 0; s < bc; s++) before[s] = Math.sqrt(Vec.dot(w, s * n, w, s * n, n));
    if (basisCols > 0) {
      Arrays.fill(coef, 0, basisCols * bc, 0.0);
      for (int pass = 0; pass < 2; pass++) {
        // C = Qᵀ W (basisCols × bc, column-major), then W −= Q C
        blas.dgemm("T", "N", basisCols, bc, n, 1.0, q, 0, n, w, 0, n, 0.0, scratch, 0, basisCols);
        blas.dgemm("N", "N", n, bc, basisCols, -1.0, q, 0, n, scratch, 0, basisCols, 1.0, w, 0, n);
        for (int i = 0; i < basisCols * bc; i++) coef[i] += scratch[i];
      }
    }
    int accepted = 0;
    for (int s = 0; s < bc; s++) {
      int off = s * n;
      for (int pass = 0; pass < 2; pass++) {
        for (int a = 0; a < accepted; a++) {
          int col = basisCols + a;
          double c = Vec.dot(q, col * n, w, off, n);
          Vec.axpy(-c, q, col * n, w, off, n);
          r[s * stride + a] += c;
        }
      }
      double norm = Math.sqrt(Vec.dot(w, off, w, off, n));
      if (norm == 0 || norm <= Math.max(drop, Slq.BREAKDOWN * before[s])) continue;
      int col = basisCols + accepted;
      System.arraycopy(w, off, q, col * n, n);
      Vec.scale(1.0 / norm, q, col * n, n);
      r[s * stride + accepted] = norm;
      accepted++;
    }
    return accepted;
  }

  /** The leading order × order part of a row-major matrix of order tn. */
  private static double[] leading(double[] t, int tn, int order) {
    double[] a = new double[order * order];
    for (int r = 0; r < order; r++) System.arraycopy(t, r * tn, a, r * order, order);
    return a;
  }

  /** The top k Ritz pairs y_i = V s_i, ascending, and the basis handed over. */
  private static ArpackResult result(double[] q, int n, int k, int m, double[] t, int tn, DenseSpectrum ritz,
                                     Consumer<KrylovBasis> basis) {
    double[] values = new double[k];
    double[] vecs = new double[k * n];
    for (int i = 0; i < k; i++) {
      int from = m - k + i;
      values[i] = ritz.eigenvalues()[from];
      double[] s = ritz.eigenvector(from);
      for (int j = 0; j < m; j++) Vec.axpy(s[j], q, j * n, vecs, i * n, n);
      Vec.scale(1.0 / Math.sqrt(Vec.dot(vecs, i * n, vecs, i * n, n)), vecs, i * n, n);
    }
    if (basis != null) {
      double tr = 0;
      for (int j = 0; j < m; j++) tr += t[j * tn + j];
      basis.accept(new KrylovBasis(n, m, Arrays.copyOf(q, m * n), tr));
    }
    // iterations 1: one run without restart, as ARPACK counts a solve that converges before its first restart
    return new ArpackResult(n, Which.LA, METHOD, k, k, values, vecs, m, 1, 0,
        // no numbers that rounding could change (the product count is the applications): local and distributed
        // products' reports compare as text
        "converged: " + k + " of " + k + " eigenpairs [early-stopping block Lanczos, no restart]", Linalg.lapackName());
  }

  private static ArpackResult partial(int n, int k, int m, String why) {
    return new ArpackResult(n, Which.LA, METHOD, k, 0, new double[0], new double[0], m, 0, 1, why, Linalg.lapackName());
  }
}
