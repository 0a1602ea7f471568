package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.hesse.linalg.Determinism;
import org.junit.jupiter.api.Test;

/** The facade against dsyevr, and determinism: the same seed gives the same bits. */
class EigenTest {
  @Test
  void facadeMatchesDense() {
    int n = 90;
    double[] lambda = TestMatrices.spectrum("negative", n, 71);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 72), n);
    double[] sorted = TestMatrices.sorted(lambda);
    double tol = 1e-8 * TestMatrices.maxAbs(lambda);
    assertArrayEquals(java.util.Arrays.copyOfRange(sorted, n - 3, n), Eigen.top(op, 3).eigenvalues(), tol);
    assertArrayEquals(java.util.Arrays.copyOf(sorted, 3), Eigen.bottom(op, 3).eigenvalues(), tol);
    assertArrayEquals(sorted, Eigen.full(op, false).eigenvalues(), 1e-12 * n * 20);
    assertEquals(5, Eigen.density(op, 10, 5, 1).probes());
  }

  @Test
  void sameSeedSameBits() {
    // promised only where the kernels or the JVM fix the rounding (org.hesse.linalg.Determinism)
    assumeTrue(Determinism.bitwiseRepeatable(), "not promised here: " + Determinism.describe());
    int n = 70;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(TestMatrices.spectrum("spread", n, 73), 74), n);
    ArpackResult a = Arpack.request(3).seed(9).solve(op), b = Arpack.request(3).seed(9).solve(op);
    assertArrayEquals(a.eigenvalues(), b.eigenvalues(), 0.0);
    assertArrayEquals(a.eigenvectors(), b.eigenvectors(), 0.0);
    SlqResult s = Slq.run(op, 12, 3, 5), t = Slq.run(op, 12, 3, 5);
    for (int p = 0; p < 3; p++) {
      assertArrayEquals(s.nodes()[p], t.nodes()[p], 0.0);
      assertArrayEquals(s.weights()[p], t.weights()[p], 0.0);
    }
    // a different seed gives different probes
    assertNotEquals(s.weights()[0][0], Slq.run(op, 12, 3, 6).weights()[0][0]);
    assertEquals(Trace.hutchPlusPlus(op, 30, 3).estimate(), Trace.hutchPlusPlus(op, 30, 3).estimate(), 0.0);
  }

  @Test
  void blasThreadCountChangesStayWithinTheSolverTolerance() {
    // Not bitwise across BLAS thread counts (OpenBLAS partitions dgemv differently); the eigenvalues still agree
    // with the dense ones to ARPACK's tolerance whatever the count. n = 300: large enough for a threaded dgemv.
    org.junit.jupiter.api.Assumptions.assumeTrue(org.hesse.nativelib.OpenBlas.isAvailable(), "OpenBLAS not available");
    int n = 300;
    double[] lambda = TestMatrices.spectrum("spread", n, 75);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 76), n);
    double[] top = java.util.Arrays.copyOfRange(TestMatrices.sorted(lambda), n - 4, n);
    double tol = 1e-10 * TestMatrices.maxAbs(lambda);
    int before = org.hesse.nativelib.OpenBlas.numThreads();
    double[][] got = new double[2][];
    try {
      for (int t = 1; t <= 2; t++) {
        org.hesse.nativelib.OpenBlas.setNumThreads(t);
        got[t - 1] = Arpack.request(4).seed(9).solve(op).eigenvalues();
        assertArrayEquals(top, got[t - 1], tol, t + " BLAS threads vs the spectrum the matrix was built with");
      }
    } finally {
      org.hesse.nativelib.OpenBlas.setNumThreads(before);
    }
    assertArrayEquals(got[0], got[1], tol, "1 vs 2 BLAS threads");
  }
}
