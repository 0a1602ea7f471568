package org.hesse.eigen;

import org.hesse.runtime.MemoryBudgetExceededException;
import static org.junit.jupiter.api.Assertions.*;

import dev.ludovic.netlib.lapack.LAPACK;
import org.hesse.linalg.Linalg;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** dsyevr against prescribed spectra, on the default and the pure-Java LAPACK; tolerance 1e-12·‖A‖·n. */
class DenseEigenTest {
  static final int N = 80;

  @ParameterizedTest
  @ValueSource(strings = {"spread", "clusters", "repeated", "negative", "rankDeficient", "tiny", "large"})
  void allEigenvaluesOnBothBackEnds(String name) {
    double[] lambda = TestMatrices.spectrum(name, N, 7);
    double[] a = TestMatrices.withSpectrum(lambda, 8);
    double tol = 1e-12 * N * TestMatrices.maxAbs(lambda);
    for (LAPACK l : new LAPACK[] {Linalg.lapack(), Linalg.javaLapack()}) {
      DenseSpectrum s = DenseEigen.compute(l, a, N, 'A', 0, 0, 0, 0, true, Long.MAX_VALUE);
      assertArrayEquals(TestMatrices.sorted(lambda), s.eigenvalues(), tol, l.getClass().getSimpleName());
      // quality ‖AV − VD‖ and orthonormality
      DenseOperator op = new DenseOperator(a, N);
      double[] y = new double[N];
      for (int j = 0; j < N; j++) {
        double[] v = s.eigenvector(j);
        op.apply(v, y);
        double r = 0;
        for (int i = 0; i < N; i++) r = Math.max(r, Math.abs(y[i] - s.eigenvalues()[j] * v[i]));
        assertTrue(r <= tol, "residual " + r);
        double nv = 0;
        for (double x : v) nv += x * x;
        assertEquals(1.0, nv, 1e-12 * N);
      }
    }
  }

  @Test
  void identityAndZeros() {
    double[] id = new double[N * N];
    for (int i = 0; i < N; i++) id[i * N + i] = 1;
    for (double v : DenseEigen.all(id, N, false).eigenvalues()) assertEquals(1.0, v, 1e-15);
    for (double v : DenseEigen.all(new double[N * N], N, false).eigenvalues()) assertEquals(0.0, v, 0.0);
  }

  @Test
  void indexAndValueRanges() {
    double[] lambda = TestMatrices.spectrum("negative", N, 9);
    double[] a = TestMatrices.withSpectrum(lambda, 10);
    double[] sorted = TestMatrices.sorted(lambda);
    double tol = 1e-12 * N * 20;
    DenseSpectrum top = DenseEigen.indexRange(a, N, N - 3, N - 1, true);
    assertArrayEquals(java.util.Arrays.copyOfRange(sorted, N - 3, N), top.eigenvalues(), tol);
    assertEquals(3 * N, top.eigenvectors().length);
    DenseSpectrum neg = DenseEigen.valueRange(a, N, -100, 0, false);
    int count = 0;
    for (double v : sorted) if (v <= 0) count++;
    assertEquals(count, neg.count());
    assertArrayEquals(java.util.Arrays.copyOf(sorted, count), neg.eigenvalues(), tol);
    assertNull(neg.eigenvectors());
  }

  @Test
  void refusesBeforeAllocatingWhenOverBudget() {
    double[] a = new double[N * N];
    long need = DenseEigen.bytesNeeded(N, N, true);
    MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class,
        () -> DenseEigen.compute(Linalg.lapack(), a, N, 'A', 0, 0, 0, 0, true, need - 1));
    assertTrue(e.getMessage().contains(need + " bytes"), e.getMessage());
    assertEquals(need, e.needed());
    // just enough is accepted
    assertEquals(N, DenseEigen.compute(Linalg.lapack(), a, N, 'A', 0, 0, 0, 0, true, need).count());
    // 8·n² for the copy alone: a 100k × 100k request is refused by arithmetic, not by an OutOfMemoryError
    assertTrue(DenseEigen.bytesNeeded(100_000, 100_000, true) > 8L * 100_000 * 100_000);
  }

  @Test
  void materializeReproducesTheMatrix() {
    double[] a = TestMatrices.withSpectrum(TestMatrices.spectrum("spread", 30, 1), 2);
    double[] b = DenseEigen.materialize(new DenseOperator(a, 30), Long.MAX_VALUE);
    assertArrayEquals(a, b, 1e-14 * 10);
  }

  @Test
  void badArguments() {
    double[] a = new double[9];
    ArpackCheck.assertMessage(() -> DenseEigen.all(new double[8], 3, false), "n*n");
    ArpackCheck.assertMessage(() -> DenseEigen.indexRange(a, 3, 2, 1, false), "first");
    ArpackCheck.assertMessage(() -> DenseEigen.indexRange(a, 3, 0, 3, false), "last < n");
    ArpackCheck.assertMessage(() -> DenseEigen.valueRange(a, 3, 1, 1, false), "lower < upper");
    ArpackCheck.assertMessage(() -> DenseEigen.compute(Linalg.lapack(), a, 3, 'X', 0, 0, 0, 0, false, 1000), "range");
  }
}
