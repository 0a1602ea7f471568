package org.hesse.eigen;

import org.hesse.linalg.Gemm;

/**
 * An operator that keeps its last {@code capacity} products, so that the products of vectors in an eigen-solve's
 * final Lanczos basis, and so those of its Ritz vectors, come without applying the operator again.
 *
 * <p>ARPACK hands each Lanczos vector v_j to the operator as a bitwise copy of the column of its basis V, and a solve
 * that converges before its first implicit restart ends with exactly those columns (a restart rotates V into
 * combinations that were never applied). For such a basis and a Ritz vector y = V s (dseupd's), {@link #productsInSpan}
 * returns {@code A y = Σ_j (v_jᵀ y) · (A v_j)} from the recorded products. These are the operator's own products, so
 * the residual ‖A y − θ y‖ they give is a true residual, equal to the one from a new product {@code A·y} up to
 * rounding (A is linear, y is in the span of V up to rounding); unlike ARPACK's Ritz estimate |β e_mᵀ s| it does not
 * rest on the Lanczos relation, which holds only for a symmetric operator and an orthogonal basis.
 *
 * <p>Vectors are matched by a 64-bit fingerprint of their bits. Not thread-safe.
 */
public final class ProductLog implements LinearOperator {
  /** The most values one Java array holds here: the products are kept in one (capacity × n). */
  public static final long MAX_VALUES = Integer.MAX_VALUE - 8;
  private final LinearOperator op;
  private final int n;
  private final long[] keys;
  private final double[] products;  // capacity × n, slot by slot
  private int next;
  private int recorded;

  /**
   * A log of the last {@code capacity} products of op.
   *
   * @param op       the operator
   * @param capacity products kept (the solve's Lanczos vectors, at least)
   */
  public ProductLog(LinearOperator op, int capacity) {
    Checks.notNull("op", op);
    Checks.positive("capacity", capacity);
    this.op = op;
    this.n = op.dim();
    if ((long) capacity * n > MAX_VALUES) {
      throw new IllegalArgumentException("capacity: " + capacity + " products of " + n + " values exceed one Java array ("
          + MAX_VALUES + " values)");
    }
    this.keys = new long[capacity];
    this.products = new double[capacity * n];
  }

  @Override public int dim() {
    return n;
  }

  @Override public boolean symmetric() {
    return op.symmetric();
  }

  @Override public void apply(double[] x, double[] y) {
    op.apply(x, y);
    record(x, 0, y, 0);
  }

  @Override public void applyMany(double[] x, double[] y, int k) {
    op.applyMany(x, y, k);
    for (int j = 0; j < k; j++) record(x, j * n, y, j * n);
  }

  private void record(double[] x, int xo, double[] y, int yo) {
    keys[next] = fingerprint(x, xo, n);
    System.arraycopy(y, yo, products, next * n, n);
    next = (next + 1) % keys.length;
    recorded = Math.min(recorded + 1, keys.length);
  }

  /**
   * {@code A z} for k vectors z in the span of basis b (k blocks of n), from the recorded products of b's vectors:
   * {@code Σ_j (v_jᵀ z) · A v_j}.
   *
   * @param b the solve's final basis (orthonormal)
   * @param z the vectors, k·n values
   * @param k how many
   * @return the k products, or null when a basis vector's product is not among the recorded ones
   */
  public double[] productsInSpan(KrylovBasis b, double[] z, int k) {
    if (b.n() != n) throw new IllegalArgumentException("basis: expected dimension " + n + ", got " + b.n());
    Checks.length("z", z, (long) k * n);
    // slot[j]: where basis vector j's product is kept
    int m = b.m();
    int[] slot = new int[m];
    for (int j = 0; j < m; j++) {
      long key = fingerprint(b.vectors(), j * n, n);
      slot[j] = -1;
      for (int s = 0; s < recorded && slot[j] < 0; s++) if (keys[s] == key) slot[j] = s;
      if (slot[j] < 0) return null;
    }
    // two GEMMs: the coefficients v_jᵀ z_i (one pass over the basis), then Σ_j (v_jᵀ z_i) A v_j with the coefficients
    // placed at their products' slots (zero elsewhere: one pass over the kept products)
    double[] coef = new double[m * k];
    Gemm.gemm(false, true, m, k, n, 1.0, b.vectors(), 0, z, 0, 0.0, coef, 0);
    double[] bySlot = new double[recorded * k];
    for (int j = 0; j < m; j++) for (int i = 0; i < k; i++) bySlot[slot[j] * k + i] += coef[j * k + i];
    double[] out = new double[k * n];
    Gemm.gemm(true, false, k, n, recorded, 1.0, bySlot, 0, products, 0, 0.0, out, 0);
    return out;
  }

  /**
   * A 64-bit hash of n doubles' bits: xxHash64's round on four interleaved lanes (independent chains, so the
   * multiplications overlap: about a fifth of a single chain's time on a 400,000-vector), splitmix64's finaliser over
   * their combination and the tail.
   */
  static long fingerprint(double[] a, int off, int len) {
    long h0 = P1 + P2;
    long h1 = P2;
    long h2 = 0;
    long h3 = -P1;
    int end = off + len;
    int i = off;
    for (; i + 4 <= end; i += 4) {
      h0 = round(h0, Double.doubleToRawLongBits(a[i]));
      h1 = round(h1, Double.doubleToRawLongBits(a[i + 1]));
      h2 = round(h2, Double.doubleToRawLongBits(a[i + 2]));
      h3 = round(h3, Double.doubleToRawLongBits(a[i + 3]));
    }
    long h = Long.rotateLeft(h0, 1) + Long.rotateLeft(h1, 7) + Long.rotateLeft(h2, 12) + Long.rotateLeft(h3, 18) + len;
    for (; i < end; i++) h = round(h, Double.doubleToRawLongBits(a[i]));
    h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
    h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 31);
  }

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;

  private static long round(long acc, long input) {
    return Long.rotateLeft(acc + input * P2, 31) * P1;
  }
}
