package org.hesse.eigen;

import dev.ludovic.netlib.lapack.LAPACK;
import org.hesse.linalg.Linalg;
import org.netlib.util.intW;

/**
 * Dense symmetric spectra through LAPACK dsyevr (MRRR): all eigenvalues, an index range or a value range,
 * eigenvectors optional. The input (row-major n × n, symmetric; only one triangle is read) is copied, never
 * modified. The bytes needed are compared with a {@link MemoryBudget} before anything is allocated.
 */
public final class DenseEigen {
  private DenseEigen() {}

  /**
   * All eigenvalues, ascending, under the default memory budget.
   *
   * @param a       the symmetric matrix, row-major n × n (copied)
   * @param n       its order, &gt; 0
   * @param vectors whether to compute the eigenvectors too
   * @return the spectrum
   */
  public static DenseSpectrum all(double[] a, int n, boolean vectors) {
    return compute(Linalg.lapack(), a, n, 'A', 0, 0, 0, 0, vectors, MemoryBudget.defaultBytes());
  }

  /**
   * Eigenvalues first..last (0-based, inclusive) of the ascending order, under the default memory budget.
   *
   * @param a       the symmetric matrix, row-major n × n (copied)
   * @param n       its order, &gt; 0
   * @param first   index of the first eigenvalue, 0-based
   * @param last    index of the last one, inclusive
   * @param vectors whether to compute the eigenvectors too
   * @return the spectrum's part
   */
  public static DenseSpectrum indexRange(double[] a, int n, int first, int last, boolean vectors) {
    return compute(Linalg.lapack(), a, n, 'I', 0, 0, first, last, vectors, MemoryBudget.defaultBytes());
  }

  /**
   * Eigenvalues in the half-open interval (lower, upper], ascending, under the default memory budget.
   *
   * @param a       the symmetric matrix, row-major n × n (copied)
   * @param n       its order, &gt; 0
   * @param lower   the interval's open lower end
   * @param upper   its closed upper end
   * @param vectors whether to compute the eigenvectors too
   * @return the eigenvalues in the interval
   */
  public static DenseSpectrum valueRange(double[] a, int n, double lower, double upper, boolean vectors) {
    return compute(Linalg.lapack(), a, n, 'V', lower, upper, 0, 0, vectors, MemoryBudget.defaultBytes());
  }

  /**
   * The general entry point. range 'A' (all), 'I' (indices first..last, 0-based inclusive) or 'V' (values in
   * (lower, upper]).
   *
   * @param lapack  the LAPACK back end
   * @param a       the symmetric matrix, row-major n × n (copied; one triangle is read)
   * @param n       its order, &gt; 0
   * @param range   'A', 'I' or 'V'
   * @param lower   with 'V': the interval's open lower end
   * @param upper   with 'V': its closed upper end
   * @param first   with 'I': the first index, 0-based
   * @param last    with 'I': the last index, inclusive
   * @param vectors whether to compute the eigenvectors too
   * @param budget  the memory budget in bytes, checked before allocating
   * @return the spectrum (or its part)
   */
  public static DenseSpectrum compute(LAPACK lapack, double[] a, int n, char range, double lower, double upper,
                                      int first, int last, boolean vectors, long budget) {
    Checks.notNull("lapack", lapack);
    Checks.positive("n", n);
    Checks.notNull("a", a);
    if (a.length != (long) n * n) {
      throw new IllegalArgumentException("a must have length n*n = " + ((long) n * n) + " (n = " + n + "), got " + a.length);
    }
    int maxM;
    switch (range) {
      case 'A' -> maxM = n;
      case 'I' -> {
        if (first < 0 || last < first || last >= n) {
          throw new IllegalArgumentException("index range must satisfy 0 <= first <= last < n = " + n + ", got first = "
              + first + ", last = " + last);
        }
        maxM = last - first + 1;
      }
      case 'V' -> {
        if (!(lower < upper)) {
          throw new IllegalArgumentException("value range must satisfy lower < upper, got lower = " + lower
              + ", upper = " + upper);
        }
        maxM = n;
      }
      default -> throw new IllegalArgumentException("range must be 'A', 'I' or 'V', got '" + range + "'");
    }
    long need = bytesNeeded(n, maxM, vectors);
    MemoryBudget.check("dense eigendecomposition (dsyevr) of n = " + n + (vectors ? " with eigenvectors" : ""),
        need, budget);
    double[] work = a.clone(); // dsyevr destroys its input
    double[] w = new double[n];
    int ldz = vectors ? n : 1;
    // netlib 3.2.0 checks z's bounds even with jobz = "N": give it n entries and ldz = 1.
    double[] z = vectors ? new double[n * Math.max(1, maxM)] : new double[n];
    int[] isuppz = new int[2 * n]; // netlib checks 2·n, not LAPACK's 2·max(1, m)
    int lwork = Math.max(1, 26 * n);
    int liwork = Math.max(1, 10 * n);
    double[] dwork = new double[lwork];
    int[] iwork = new int[liwork];
    intW m = new intW(0);
    intW info = new intW(0);
    String r = String.valueOf(range);
    lapack.dsyevr(vectors ? "V" : "N", r, "L", n, work, n, lower, upper, first + 1, last + 1, 0.0, m, w, z, ldz,
        isuppz, dwork, lwork, iwork, liwork, info);
    if (info.val != 0) {
      throw new ArithmeticException("LAPACK dsyevr failed with info = " + info.val
          + (info.val > 0 ? " (internal error in the MRRR algorithm)" : " (illegal argument " + (-info.val) + ")"));
    }
    double[] values = new double[m.val];
    System.arraycopy(w, 0, values, 0, m.val);
    double[] vecs = null;
    if (vectors) {
      vecs = (m.val == maxM) ? z : java.util.Arrays.copyOf(z, n * m.val);
    }
    return new DenseSpectrum(n, values, vecs);
  }

  /**
   * Bytes dsyevr needs here for n and at most m eigenpairs: copy of A, w, z, work (26n), iwork (10n), isuppz.
   *
   * @param n       the order
   * @param m       at most this many eigenpairs
   * @param vectors whether eigenvectors are computed
   * @return the bytes, or Long.MAX_VALUE when they overflow a long
   */
  public static long bytesNeeded(int n, int m, boolean vectors) {
    long nn = MemoryBudget.mul(n, n);
    long zz = vectors ? MemoryBudget.mul(n, Math.max(1, m)) : n;
    long doubles = MemoryBudget.doubles(nn, n, zz, 26L * n);
    if (doubles == Long.MAX_VALUE) return doubles;
    return doubles + 4L * (10L * n + 2L * n);
  }

  /** Unit vectors per blocked product when materialising an operator. */
  static final int MATERIALIZE_BLOCK = 32;

  /**
   * The dense row-major matrix of an operator, column by column (n applications). A symmetric operator is
   * symmetrised as (A + Aᵀ)/2 so that rounding in the products does not leak into one triangle only.
   *
   * @param op     the operator
   * @param budget the memory budget in bytes for the n × n matrix and the product buffers, checked first
   * @return the matrix, row-major n × n
   */
  public static double[] materialize(LinearOperator op, long budget) {
    Checks.operator(op);
    int n = op.dim();
    MemoryBudget.check("materialising an operator of dimension n = " + n, MemoryBudget.doubles(MemoryBudget.mul(n, n), 2L * MATERIALIZE_BLOCK * n), budget);
    double[] a = new double[n * n];
    // columns in blocks of unit vectors through applyMany (one blocked product per block)
    int block = Math.max(1, Math.min(MATERIALIZE_BLOCK, n));
    double[] e = new double[block * n];
    double[] cols = new double[block * n];
    for (int j0 = 0; j0 < n; j0 += block) {
      int k = Math.min(block, n - j0);
      java.util.Arrays.fill(e, 0, k * n, 0.0);
      for (int j = 0; j < k; j++) e[j * n + j0 + j] = 1.0;
      op.applyMany(e, cols, k);
      for (int j = 0; j < k; j++) {
        for (int i = 0; i < n; i++) a[i * n + j0 + j] = cols[j * n + i];
      }
    }
    if (op.symmetric()) {
      for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
          double s = 0.5 * (a[i * n + j] + a[j * n + i]);
          a[i * n + j] = s;
          a[j * n + i] = s;
        }
      }
    }
    return a;
  }
}
