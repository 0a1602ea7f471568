package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Power iteration against the known top of a spectrum with clear gaps. */
class PowerIterationTest {
  static double[] spectrum(int n) {
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = (double) i / n; // bulk in [0, 1)
    l[n - 1] = 10;
    l[n - 2] = -6; // largest magnitudes: 10, −6, 4
    l[n - 3] = 4;
    return l;
  }

  @Test
  void residualRuleFindsTopByMagnitude() {
    int n = 100;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(spectrum(n), 41), n);
    PowerIteration.Result r = PowerIteration.run(op, 3, 2000, 1e-9, PowerIteration.Stop.RESIDUAL, 10, 1);
    assertTrue(r.complete());
    assertArrayEquals(new double[] {10, -6, 4}, r.eigenvalues(), 1e-8 * 10);
    double[] y = new double[n];
    for (int j = 0; j < 3; j++) {
      double[] v = java.util.Arrays.copyOfRange(r.eigenvectors(), j * n, j * n + n);
      op.apply(v, y);
      double res = 0;
      for (int i = 0; i < n; i++) res += Math.pow(y[i] - r.eigenvalues()[j] * v[i], 2);
      assertTrue(Math.sqrt(res) <= 1e-9 * 10 * 1.01, "residual " + Math.sqrt(res));
    }
    long total = 0;
    for (int it : r.iterations()) total += it;
    assertEquals(total, r.applications());
  }

  @Test
  void pyHessianDefaultsStopEarlyWithLooseAccuracy() {
    int n = 100;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(spectrum(n), 42), n);
    PowerIteration.Result r = PowerIteration.run(op, 1, 3);
    assertTrue(r.iterations()[0] <= PowerIteration.PYHESSIAN_MAX_ITERATIONS);
    // relative change 1e-3 per step with ratio 6/10 leaves an error of order 1e-3 relative
    assertEquals(10, r.eigenvalues()[0], 1e-2 * 10);
  }

  @Test
  void badArguments() {
    DenseOperator op = new DenseOperator(new double[] {1, 0, 0, 1}, 2);
    ArpackCheck.assertMessage(() -> PowerIteration.run(op, 3, 1), "k must be <= n");
    ArpackCheck.assertMessage(() -> PowerIteration.run(op, 1, 0, 1e-3, PowerIteration.Stop.RESIDUAL, 0, 1), "maxIterations");
    ArpackCheck.assertMessage(() -> PowerIteration.run(op, 1, 10, 0, PowerIteration.Stop.RESIDUAL, 0, 1), "tol");
  }
}
