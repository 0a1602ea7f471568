package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import dev.ludovic.netlib.arpack.ARPACK;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ARPACK battery, run once per back end (subclasses give the back end). Reference: dsyevr on the same
 * matrix. Eigenvalues must agree to 1e-8·‖A‖ (absolute on the matrix's scale, so near-zero eigenvalues are
 * judged fairly) and every residual must satisfy ‖Av − λv‖ ≤ tol·‖A‖ (+ n·ε·‖A‖ rounding in forming Av).
 */
abstract class ArpackCheck {
  static final int N = 120;
  static final double TOL = 1e-10;

  abstract ARPACK backend();

  void check(double[] lambda, Which which, int k, long seed) {
    check(lambda, which, k, seed, 0.0);
  }

  void check(double[] lambda, Which which, int k, long seed, double shift) {
    int n = lambda.length;
    double[] a = TestMatrices.withSpectrum(lambda, seed);
    DenseOperator op = new DenseOperator(a, n);
    double norm = TestMatrices.maxAbs(lambda);
    ArpackResult r = Arpack.request(k).which(which).tol(TOL).shift(shift).backend(backend()).solve(op);
    assertTrue(r.complete(), () -> r.message());
    assertEquals("arpack", r.method());
    assertEquals(k, r.eigenvalues().length);
    double[] ref = DenseEigen.all(a, n, false).eigenvalues();
    double[] expected = expected(ref, which, k);
    if (shift == 0.0) {
      for (int j = 0; j < k; j++) {
        assertEquals(expected[j], r.eigenvalues()[j], 1e-8 * norm, "eigenvalue " + j + " of " + which);
      }
    } else {
      // A single-vector Krylov method sees a 60-fold zero only as often as rounding lets it: every value
      // returned must be an eigenvalue, and the extreme one the right one.
      assertEquals(expected[0], r.eigenvalues()[0], 1e-8 * norm);
      for (double v : r.eigenvalues()) {
        double best = Double.POSITIVE_INFINITY;
        for (double t : ref) best = Math.min(best, Math.abs(t - v));
        assertTrue(best <= 1e-8 * norm, v + " is not an eigenvalue");
      }
    }
    double[] res = r.residuals(op);
    for (int j = 0; j < k; j++) {
      assertTrue(res[j] <= TOL * norm + n * Math.ulp(1.0) * norm, "residual " + j + " = " + res[j]);
    }
    assertTrue(r.applications() > 0 && r.iterations() > 0);
  }

  /** The k values ARPACK should return for `which`, ascending. */
  static double[] expected(double[] ascending, Which which, int k) {
    int n = ascending.length;
    double[] out = new double[k];
    switch (which) {
      case LA -> System.arraycopy(ascending, n - k, out, 0, k);
      case SA -> System.arraycopy(ascending, 0, out, 0, k);
      case BE -> {
        int low = k / 2;
        System.arraycopy(ascending, 0, out, 0, low);
        System.arraycopy(ascending, n - (k - low), out, low, k - low);
      }
      case LM -> {
        double[] byMag = ascending.clone();
        Double[] boxed = new Double[n];
        for (int i = 0; i < n; i++) boxed[i] = byMag[i];
        java.util.Arrays.sort(boxed, (x, y) -> Double.compare(Math.abs(y), Math.abs(x)));
        for (int i = 0; i < k; i++) out[i] = boxed[i];
        java.util.Arrays.sort(out);
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"spread", "clusters", "repeated", "negative", "rankDeficient", "tiny", "large"})
  void largestAlgebraic(String name) {
    check(TestMatrices.spectrum(name, N, 1), Which.LA, 5, 11);
  }

  @ParameterizedTest
  @ValueSource(strings = {"spread", "negative", "rankDeficient", "large"})
  void smallestAlgebraic(String name) {
    double[] lambda = TestMatrices.spectrum(name, N, 2);
    // Zero eigenvalues never meet ARPACK's relative test: shift by ‖A‖ (see Request.shift).
    check(lambda, Which.SA, 4, 12, name.equals("rankDeficient") ? TestMatrices.maxAbs(lambda) : 0.0);
  }

  @Test
  void zeroClusterWithoutShiftIsReportedPartial() {
    double[] lambda = TestMatrices.spectrum("rankDeficient", N, 2);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 12), N);
    ArpackResult r = Arpack.request(4).which(Which.SA).tol(TOL).maxIterations(20).backend(backend()).solve(op);
    assertFalse(r.complete());
    assertEquals(1, r.info(), r.message());
    for (double v : r.eigenvalues()) assertEquals(0.0, v, 1e-8 * 5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"negative", "large", "spread"})
  void bothEndsAndMagnitude(String name) {
    check(TestMatrices.spectrum(name, N, 3), Which.BE, 5, 13);
    check(TestMatrices.spectrum(name, N, 3), Which.LM, 4, 13);
  }

  @Test
  void diagonalMatrix() {
    double[] lambda = new double[60];
    for (int i = 0; i < 60; i++) lambda[i] = i * 0.5 - 3;
    double[] a = new double[60 * 60];
    for (int i = 0; i < 60; i++) a[i * 60 + i] = lambda[i];
    ArpackResult r = Arpack.request(3).which(Which.LA).tol(TOL).backend(backend()).solve(new DenseOperator(a, 60));
    assertArrayEquals(new double[] {25.5, 26.0, 26.5}, r.eigenvalues(), 1e-8 * 26.5);
  }

  @Test
  void identityAndZeroGiveTheirOnlyEigenvalue() {
    int n = 40;
    double[] id = new double[n * n];
    for (int i = 0; i < n; i++) id[i * n + i] = 1;
    ArpackResult r = Arpack.request(3).tol(TOL).backend(backend()).solve(new DenseOperator(id, n));
    // A one-dimensional Krylov space: ARPACK may return fewer pairs, but never a wrong one, and says so.
    for (double v : r.eigenvalues()) assertEquals(1.0, v, 1e-12);
    assertEquals(r.converged(), r.eigenvalues().length);
    if (!r.complete()) assertFalse(r.message().startsWith("converged"), r.message());
    ArpackResult z = Arpack.request(3).tol(TOL).backend(backend()).solve(new DenseOperator(new double[n * n], n));
    for (double v : z.eigenvalues()) assertEquals(0.0, v, 0.0);
    if (!z.complete()) assertFalse(z.message().startsWith("converged"), z.message());
  }

  @Test
  void startVectorIsUsed() {
    double[] lambda = TestMatrices.spectrum("spread", N, 4);
    double[] a = TestMatrices.withSpectrum(lambda, 14);
    DenseOperator op = new DenseOperator(a, N);
    // Starting from the top eigenvector itself, the top eigenpair is found at once and correctly.
    double[] v0 = DenseEigen.indexRange(a, N, N - 1, N - 1, true).eigenvector(0);
    ArpackResult r = Arpack.request(1).startVector(v0).tol(TOL).backend(backend()).solve(op);
    assertTrue(r.complete(), r.message());
    assertEquals(TestMatrices.sorted(lambda)[N - 1], r.eigenvalues()[0], 1e-8 * 10);
  }

  @Test
  void partialResultIsReportedAsSuch() {
    // Tight clusters, a tiny ncv and one restart: ARPACK stops at maxIterations with fewer converged.
    double[] lambda = new double[200];
    for (int i = 0; i < 200; i++) lambda[i] = 1 + 1e-3 * i;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 15), 200);
    ArpackResult r = Arpack.request(6).ncv(8).maxIterations(1).tol(1e-14).backend(backend()).solve(op);
    assertFalse(r.complete());
    assertEquals(1, r.info());
    assertTrue(r.converged() < 6);
    assertEquals(r.converged(), r.eigenvalues().length);
    assertTrue(r.message().contains("maximum number of iterations"), r.message());
    double[] top = expected(TestMatrices.sorted(lambda), Which.LA, 6);
    for (double v : r.eigenvalues()) { // any converged value is one of the top ones
      double best = Double.POSITIVE_INFINITY;
      for (double t : top) best = Math.min(best, Math.abs(t - v));
      assertTrue(best <= 1e-8 * 1.2, "converged value " + v + " is not a top eigenvalue");
    }
  }

  @Test
  void withoutEigenvectors() {
    double[] lambda = TestMatrices.spectrum("negative", N, 5);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 16), N);
    ArpackResult r = Arpack.request(3).which(Which.SA).vectors(false).tol(TOL).backend(backend()).solve(op);
    assertNull(r.eigenvectors());
    assertArrayEquals(expected(TestMatrices.sorted(lambda), Which.SA, 3), r.eigenvalues(), 1e-8 * 20);
  }

  @Test
  void smallProblemsFallBackToDense() {
    double[] lambda = {-2, 0.5, 1, 3, 7};
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 17), 5);
    ArpackResult r = Arpack.request(4).which(Which.LA).backend(backend()).solve(op);
    assertTrue(r.method().startsWith("dense-fallback"), r.method());
    assertTrue(r.complete());
    assertArrayEquals(new double[] {0.5, 1, 3, 7}, r.eigenvalues(), 1e-12 * 7);
    double[] res = r.residuals(op);
    for (double x : res) assertTrue(x <= 1e-12 * 7);
    ArpackResult lm = Arpack.request(4).which(Which.LM).backend(backend()).solve(op);
    assertArrayEquals(new double[] {-2, 1, 3, 7}, lm.eigenvalues(), 1e-12 * 7);
  }

  @Test
  void aSolveStartedFromInsideAnOperatorIsRefused() {
    int n = 40;
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) a[i * n + i] = i + 1;
    DenseOperator inner = new DenseOperator(a, n);
    LinearOperator nesting = new LinearOperator() {
      @Override public int dim() { return n; }
      @Override public void apply(double[] x, double[] y) {
        // ARPACK keeps global state: a nested solve on the same thread must fail, not corrupt it
        Arpack.request(2).backend(backend()).solve(inner);
      }
    };
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> Arpack.request(2).backend(backend()).solve(nesting));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("cannot nest"), e.getMessage());
    // and the lock was released: a normal solve still works
    ArpackResult r = Arpack.request(2).which(Which.LA).backend(backend()).solve(inner);
    org.junit.jupiter.api.Assertions.assertEquals(n, r.eigenvalues()[1], 1e-8 * n);
  }

  /**
   * Without the global lock this crashes the JVM (JNI) or never returns (F2j: corrupted static state), both seen
   * here; the timeout turns a hang into a failure.
   */
  @Test
  @org.junit.jupiter.api.Timeout(120)
  void concurrentCallersGetCorrectAnswers() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        final int id = t;
        fs.add(pool.submit(() -> {
          double[] lambda = TestMatrices.spectrum(id % 2 == 0 ? "spread" : "negative", 80, 100 + id);
          check(lambda, id % 3 == 0 ? Which.SA : Which.LA, 3 + id % 3, 200 + id);
          return null;
        }));
      }
      for (Future<?> f : fs) f.get();
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void badArguments() {
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(TestMatrices.spectrum("spread", 30, 6), 18), 30);
    assertMessage(() -> Arpack.request(0), "k");
    assertMessage(() -> Arpack.request(31).backend(backend()).solve(op), "k must be <= n");
    assertMessage(() -> Arpack.request(5).ncv(5).backend(backend()).solve(op), "ncv");
    assertMessage(() -> Arpack.request(5).ncv(31).backend(backend()).solve(op), "ncv");
    assertMessage(() -> Arpack.request(1).which(Which.BE).backend(backend()).solve(op), "BE");
    assertMessage(() -> Arpack.request(2).startVector(new double[3]).solve(op), "startVector");
    assertMessage(() -> Arpack.request(2).startVector(new double[29]).backend(backend()).solve(op), "startVector");
    assertMessage(() -> Arpack.request(2).tol(-1), "tol");
    double[] ns = new double[9];
    ns[1] = 1;
    assertMessage(() -> Arpack.request(1).solve(new DenseOperator(ns, 3)), "symmetric");
  }

  static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }
}
