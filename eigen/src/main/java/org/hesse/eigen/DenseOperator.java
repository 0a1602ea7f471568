package org.hesse.eigen;

import dev.ludovic.netlib.blas.BLAS;
import org.hesse.linalg.Gemm;
import org.hesse.linalg.Linalg;

/**
 * A dense n × n matrix (row-major, not copied) as a {@link LinearOperator}: apply is one dgemv, applyMany one
 * dgemm. {@link #symmetric()} reports whether |a_ij − a_ji| ≤ 1e-12·max|a| for all i, j, checked once.
 */
public final class DenseOperator implements LinearOperator {
  /** Relative tolerance of the symmetry check (rounding in an assembled Hessian stays far below it). */
  public static final double SYMMETRY_TOLERANCE = 1e-12;

  private final double[] a;
  private final int n;
  private final boolean symmetric;
  private final BLAS blas;

  /**
   * A dense matrix with the default BLAS.
   *
   * @param a the matrix, row-major n × n (kept, not copied)
   * @param n its order, &gt; 0
   */
  public DenseOperator(double[] a, int n) {
    this(a, n, Linalg.blas());
  }

  /**
   * A dense matrix; symmetric when its triangles agree to {@link #SYMMETRY_TOLERANCE} of its largest entry.
   *
   * @param a    the matrix, row-major n × n (kept, not copied)
   * @param n    its order, &gt; 0
   * @param blas the BLAS for the products
   */
  public DenseOperator(double[] a, int n, BLAS blas) {
    Checks.positive("n", n);
    Checks.notNull("a", a);
    if (a.length != (long) n * n) {
      throw new IllegalArgumentException("a must have length n*n = " + ((long) n * n) + " (n = " + n + "), got " + a.length);
    }
    Checks.notNull("blas", blas);
    this.a = a;
    this.n = n;
    this.blas = blas;
    double max = 0;
    for (double v : a) max = Math.max(max, Math.abs(v));
    double tol = SYMMETRY_TOLERANCE * max;
    boolean sym = true;
    for (int i = 0; i < n && sym; i++) {
      for (int j = i + 1; j < n; j++) {
        if (Math.abs(a[i * n + j] - a[j * n + i]) > tol) {
          sym = false;
          break;
        }
      }
    }
    this.symmetric = sym;
  }

  /**
   * The backing row-major array.
   *
   * @return the array itself (not a copy)
   */
  public double[] matrix() {
    return a;
  }

  @Override
  public int dim() {
    return n;
  }

  @Override
  public void apply(double[] x, double[] y) {
    Checks.length("x", x, n);
    Checks.length("y", y, n);
    // Row-major A is column-major Aᵀ: y = A x is dgemv("T") on it.
    blas.dgemv("T", n, n, 1.0, a, n, x, 1, 0.0, y, 1);
  }

  @Override
  public void applyMany(double[] x, double[] y, int k) {
    LinearOperator.checkMany(x, y, k, n, n);
    // X as k × n row-major is Xᵀ; (A X)ᵀ = Xᵀ Aᵀ.
    Gemm.gemm(blas, false, true, k, n, n, 1.0, x, 0, a, 0, 0.0, y, 0);
  }

  @Override
  public boolean symmetric() {
    return symmetric;
  }
}
