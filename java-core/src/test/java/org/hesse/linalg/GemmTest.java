package org.hesse.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ludovic.netlib.blas.BLAS;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Row-major products on every BLAS back end (the one in use — JNI OpenBLAS when installed — and pure Java)
 * against a naive triple loop: both paths agree, so the network code gives the same numbers with or without
 * native libraries.
 */
class GemmTest {
  @ParameterizedTest
  @CsvSource({"false,false", "true,false", "false,true", "true,true"})
  void rowMajorProductMatchesNaiveLoopOnEveryBackend(boolean ta, boolean tb) {
    int m = 7, n = 5, k = 9;
    SplittableRandom r = new SplittableRandom(3);
    double[] a = new double[m * k + 2];
    double[] b = new double[k * n + 3];
    for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() - 0.5;
    for (int i = 0; i < b.length; i++) b[i] = r.nextDouble() - 0.5;
    double[] c0 = new double[m * n + 1];
    for (int i = 0; i < c0.length; i++) c0[i] = r.nextDouble();
    double[] expected = c0.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          double av = ta ? a[2 + p * m + i] : a[2 + i * k + p];
          double bv = tb ? b[3 + j * k + p] : b[3 + p * n + j];
          s += av * bv;
        }
        expected[1 + i * n + j] = 0.5 * s + 2.0 * c0[1 + i * n + j];
      }
    }
    for (BLAS blas : new BLAS[] {Linalg.blas(), Linalg.javaBlas()}) {
      double[] c = c0.clone();
      Gemm.gemm(blas, ta, tb, m, n, k, 0.5, a, 2, b, 3, 2.0, c, 1);
      for (int i = 0; i < c.length; i++) assertEquals(expected[i], c[i], 1e-14, blas.getClass().getSimpleName());
    }
  }

  /**
   * float (sgemm) against the double product of the same float inputs, on strided sub-blocks (leading dimensions
   * larger than the rows) and through the dense overload. sgemm sums k float products in float:
   * |Δ| ≤ (k + 2)·2⁻²³·(|α| Σ|a||b| + |β||c|), the standard bound with room for any summation order (ε_f = 2⁻²³ twice
   * the unit roundoff). Cells outside the m × n block must stay as they were.
   */
  @ParameterizedTest
  @CsvSource({"false,false", "true,false", "false,true", "true,true"})
  void floatProductMatchesDoubleReference(boolean ta, boolean tb) {
    int m = 13, n = 6, k = 70;
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 4;
    SplittableRandom r = new SplittableRandom(5);
    float[] a = new float[1 + (ta ? k : m) * lda];
    float[] b = new float[2 + (tb ? n : k) * ldb];
    float[] c0 = new float[3 + m * ldc];
    for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() - 0.5);
    for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() - 0.5);
    for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextDouble();
    double alpha = 0.75, beta = -1.5;
    float[] c = c0.clone();
    Gemm.gemm(ta, tb, m, n, k, alpha, a, 1, lda, b, 2, ldb, beta, c, 3, ldc);
    for (int i = 0; i < c.length; i++) {
      int row = (i - 3) / ldc, col = (i - 3) % ldc;
      if (i < 3 || col >= n) {
        assertEquals(c0[i], c[i], 0f, "cell " + i + " outside the block");
        continue;
      }
      double s = 0, abs = 0;
      for (int p = 0; p < k; p++) {
        double av = ta ? a[1 + p * lda + row] : a[1 + row * lda + p];
        double bv = tb ? b[2 + col * ldb + p] : b[2 + p * ldb + col];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      double want = alpha * s + beta * c0[i];
      double tol = (k + 2) * Math.ulp(1f) * (Math.abs(alpha) * abs + Math.abs(beta * c0[i]));
      assertTrue(Math.abs(want - c[i]) <= tol, "(" + row + "," + col + "): " + c[i] + " vs " + want + ", tol " + tol);
    }
    // the dense overload (leading dimensions from the shapes) on the same numbers
    float[] ad = new float[m * k], bd = new float[k * n], cd = new float[m * n];
    for (int i = 0; i < m * k; i++) ad[i] = ta ? a[1 + (i % k) * lda + i / k] : a[1 + (i / k) * lda + i % k];
    for (int i = 0; i < k * n; i++) bd[i] = tb ? b[2 + (i % n) * ldb + i / n] : b[2 + (i / n) * ldb + i % n];
    for (int i = 0; i < m * n; i++) cd[i] = c0[3 + (i / n) * ldc + i % n];
    // ad, bd hold op(A), op(B) in row-major order: multiply them untransposed
    Gemm.gemm(false, false, m, n, k, alpha, ad, bd, beta, cd);
    for (int i = 0; i < m * n; i++) {
      float strided = c[3 + (i / n) * ldc + i % n];
      assertEquals(strided, cd[i], 2 * k * Math.ulp(1f) * (1 + Math.abs(strided)), "dense overload at " + i);
    }
  }

  /** k = 0: C = β·C; β = 0 overwrites C without reading it (NaN there does not survive), as BLAS does. */
  @Test
  void floatEmptyInnerDimension() {
    float[] c = {Float.NaN, 2f, Float.POSITIVE_INFINITY, 4f, 5f, 6f, 7f};
    Gemm.gemm(false, false, 2, 2, 0, 1.0, new float[0], 0, 1, new float[0], 0, 2, 0.0, c, 0, 3);
    assertEquals(0f, c[0]);
    assertEquals(0f, c[1]);
    assertEquals(Float.POSITIVE_INFINITY, c[2], "outside the 2 × 2 block (ldc 3)");
    assertEquals(0f, c[3]);
    assertEquals(0f, c[4]);
    assertEquals(6f, c[5]);
    float[] d = {1f, -2f, 3f, Float.NaN};
    Gemm.gemm(false, false, 2, 2, 0, 1.0, new float[0], new float[0], -0.5, d);
    assertEquals(-0.5f, d[0]);
    assertEquals(1f, d[1]);
    assertEquals(-1.5f, d[2]);
    assertTrue(Float.isNaN(d[3]), "beta != 0 reads C");
    // beta = 0 with k > 0: sgemm must not read C either
    float[] e = {Float.NaN, Float.NaN};
    Gemm.gemm(false, false, 1, 2, 1, 2.0, new float[] {3f}, new float[] {1f, -1f}, 0.0, e);
    assertEquals(6f, e[0]);
    assertEquals(-6f, e[1]);
  }
}
