package org.hesse.linalg;

import dev.ludovic.netlib.blas.BLAS;

/**
 * Row-major matrix products on column-major BLAS. A row-major r × c array is the column-major c × r
 * transpose, so C = op(A)·op(B) (row-major, C m × n) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ by one dgemm
 * with the operands swapped and the transpose flags unchanged.
 */
public final class Gemm {
  private Gemm() {}

  /**
   * C[m×n] = alpha · op(A)·op(B) + beta · C, all row-major and dense from their offsets. op(A) is m × k:
   * A is stored m × k (transA false) or k × m (transA true); likewise B.
   */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          double[] a, int aOff, double[] b, int bOff, double beta, double[] c, int cOff) {
    gemm(Linalg.blas(), transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff);
  }

  public static void gemm(BLAS blas, boolean transA, boolean transB, int m, int n, int k, double alpha,
                          double[] a, int aOff, double[] b, int bOff, double beta, double[] c, int cOff) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      // BLAS semantics: beta = 0 overwrites C (never reads it, so NaN there does not survive)
      for (int i = 0; i < m * n; i++) c[cOff + i] = beta == 0.0 ? 0.0 : beta * c[cOff + i];
      return;
    }
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    blas.dgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda, beta, c, cOff, n);
  }

  /**
   * As above with explicit row-major leading dimensions (the distance between consecutive rows of A, B
   * and C), for operating on strided sub-blocks.
   */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                          double beta, double[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) c[cOff + i * ldc + j] = beta == 0.0 ? 0.0 : beta * c[cOff + i * ldc + j];
      }
      return;
    }
    Linalg.blas().dgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, alpha, b, bOff, ldb, a, aOff, lda,
        beta, c, cOff, ldc);
  }

  /** Shorthand with zero offsets. */
  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          double[] a, double[] b, double beta, double[] c) {
    gemm(transA, transB, m, n, k, alpha, a, 0, b, 0, beta, c, 0);
  }
  // ---- float32 storage (issue 13): the same products by sgemm. alpha and beta are rounded to float. ----

  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          float[] a, int aOff, float[] b, int bOff, double beta, float[] c, int cOff) {
    gemm(transA, transB, m, n, k, alpha, a, aOff, transA ? m : k, b, bOff, transB ? k : n, beta, c, cOff, n);
  }

  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          double beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) c[cOff + i * ldc + j] = beta == 0.0 ? 0f : (float) (beta * c[cOff + i * ldc + j]);
      }
      return;
    }
    Linalg.blas().sgemm(transB ? "T" : "N", transA ? "T" : "N", n, m, k, (float) alpha, b, bOff, ldb, a, aOff, lda,
        (float) beta, c, cOff, ldc);
  }

  public static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                          float[] a, float[] b, double beta, float[] c) {
    gemm(transA, transB, m, n, k, alpha, a, 0, b, 0, beta, c, 0);
  }
}
