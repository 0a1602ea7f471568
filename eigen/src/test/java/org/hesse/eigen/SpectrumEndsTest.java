package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Both ends of prescribed spectra Q diag(λ) Qᵀ with a degenerate cluster at 0 (the null space of a cross-entropy
 * net's last layer), negative eigenvalues and a negative semi-definite case (top end at 0): the shifted ARPACK path
 * and the dense path against the prescribed λ, to 1e-8·max|λ|.
 */
class SpectrumEndsTest {
  static final int N = 300;
  static final int K = 3;

  /** λ: 200 exact zeros, the rest spread over [lo, hi] (a cluster of 3 at each non-zero end). */
  static double[] spectrum(double lo, double hi) {
    double[] l = new double[N];
    int m = N - 200;
    for (int i = 0; i < m; i++) l[200 + i] = lo + (hi - lo) * i / (m - 1);
    l[200] = l[201] = l[202] = lo;
    l[N - 1] = l[N - 2] = l[N - 3] = hi;
    return l;
  }

  static void check(double[] lambda) {
    double[] a = TestMatrices.withSpectrum(lambda, 11);
    DenseOperator op = new DenseOperator(a, N);
    double[] sorted = TestMatrices.sorted(lambda);
    double scale = TestMatrices.maxAbs(lambda);
    double norm = SpectrumEnds.normEstimate(op, 1);
    assertEquals(scale, norm, 1e-3 * scale, "norm estimate");
    ArpackResult bottom = SpectrumEnds.arpack(op, Which.SA, K, norm, 1e-8, 0, Arpack.DEFAULT_MAX_ITERATIONS, 2);
    ArpackResult top = SpectrumEnds.arpack(op, Which.LA, K, norm, 1e-8, 0, Arpack.DEFAULT_MAX_ITERATIONS, 2);
    assertTrue(bottom.complete(), bottom.message());
    assertTrue(top.complete(), top.message());
    assertArrayEquals(Arrays.copyOf(sorted, K), bottom.eigenvalues(), 1e-8 * scale, "bottom " + bottom.message());
    assertArrayEquals(Arrays.copyOfRange(sorted, N - K, N), top.eigenvalues(), 1e-8 * scale, "top " + top.message());
    for (double r : bottom.residuals(op)) assertTrue(r <= 1e-7 * scale, "bottom residual " + r);
    for (double r : top.residuals(op)) assertTrue(r <= 1e-7 * scale, "top residual " + r);
    DenseSpectrum d = SpectrumEnds.denseIfSmall(op, N, Long.MAX_VALUE);
    assertArrayEquals(Arrays.copyOf(sorted, K), SpectrumEnds.fromDense(d, Which.SA, K).eigenvalues(), 1e-12 * N * scale);
    assertArrayEquals(Arrays.copyOfRange(sorted, N - K, N), SpectrumEnds.fromDense(d, Which.LA, K).eigenvalues(), 1e-12 * N * scale);
  }

  @Test
  void positiveSemiDefiniteWithZeroClusterAtTheBottom() {
    check(spectrum(0.5, 7));
  }

  @Test
  void negativeEigenvaluesBelowTheZeroCluster() {
    check(spectrum(-3, 7));
  }

  @Test
  void negativeSemiDefiniteWithZeroClusterAtTheTop() {
    check(spectrum(-7, -0.5));
  }

  @Test
  void restartsWithMoreLanczosVectorsWhenArpackStopsEarly() {
    double[] lambda = spectrum(0.5, 7);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 12), N);
    double scale = TestMatrices.maxAbs(lambda);
    // ncv = K + 1 and 3 restarts cannot reach 1e-10: the first solve stops with info = 1 or 3
    ArpackResult first = Arpack.request(K).which(Which.SA).tol(1e-10).ncv(K + 1).maxIterations(3).seed(2)
        .shift(2 * scale).solve(op);
    assertTrue(!first.complete() && (first.info() == 1 || first.info() == 3), first.message());
    ArpackResult r = SpectrumEnds.arpack(op, Which.SA, K, scale, 1e-10, K + 1, 3, 2);
    assertTrue(r.message().contains("restart"), r.message());
    if (r.complete()) {
      assertArrayEquals(Arrays.copyOf(TestMatrices.sorted(lambda), K), r.eigenvalues(), 1e-8 * scale, r.message());
    } else {
      assertTrue(r.info() == 1 || r.info() == 3, r.message());
    }
  }

  @Test
  void arpackGivesUpForTheDenseSpectrumAfterNProducts() {
    double[] lambda = spectrum(0.5, 7);
    double[] sorted = TestMatrices.sorted(lambda);
    double scale = TestMatrices.maxAbs(lambda);
    DenseOperator dense = new DenseOperator(TestMatrices.withSpectrum(lambda, 14), N);
    // tol 1e-14 with ncv = K + 1 and 2 restarts: ARPACK cannot finish, so the search stops partial or at the cap
    CountingOperator op = new CountingOperator(dense);
    ArpackResult r = SpectrumEnds.arpackOrDense(op, Which.SA, K, scale, 1e-14, K + 1, 2, 2, Long.MAX_VALUE);
    assertEquals("dense", r.method(), r.message());
    assertTrue(r.message().contains("solved densely"), r.message());
    assertEquals(op.applications(), r.applications(), "every product counted");
    assertTrue(op.applications() <= 2L * N, "at most n by ARPACK and n for the matrix, took " + op.applications());
    assertArrayEquals(Arrays.copyOf(sorted, K), r.eigenvalues(), 1e-12 * N * scale);
    // without room for the dense matrix, the search is ARPACK's alone
    ArpackResult a = SpectrumEnds.arpackOrDense(dense, Which.SA, K, scale, 1e-8, 0, Arpack.DEFAULT_MAX_ITERATIONS, 2, 8L * N * N);
    assertEquals("arpack", a.method(), a.message());
    assertArrayEquals(Arrays.copyOf(sorted, K), a.eigenvalues(), 1e-8 * scale, a.message());
  }

  @Test
  void denseOnlyWithinTheThresholdAndBudget() {
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(spectrum(0.5, 7), 13), N);
    assertEquals(null, SpectrumEnds.denseIfSmall(op, N - 1, Long.MAX_VALUE));
    assertEquals(null, SpectrumEnds.denseIfSmall(op, N, 8L * N * N));
  }
}
