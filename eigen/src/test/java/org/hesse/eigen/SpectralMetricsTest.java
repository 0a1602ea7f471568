package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Metrics against hand-computed values, and SLQ metrics against the full spectrum. */
class SpectralMetricsTest {
  @Test
  void smallSpectrumByHand() {
    SpectralMetrics m = SpectralMetrics.fromSpectrum(new double[] {2, -1, 0});
    assertEquals("full", m.source());
    assertEquals(3 * Math.ulp(1.0) * 2, m.zeroCutoff());
    assertEquals(2, m.lambdaMax());
    assertEquals(-1, m.lambdaMin());
    assertEquals(1, m.trace(), 0);
    assertEquals(2, m.conditionNumber(), 1e-15);
    assertEquals(1, m.conditionNumberPositive(), 1e-15);
    assertEquals(1, m.negativeCount());
    assertEquals(1.0 / 3, m.negativeFraction(), 1e-15);
    assertEquals(1.0 / 3, m.negativeMass(), 1e-15); // |−1| / (2 + 1)
    double h = -(2.0 / 3 * Math.log(2.0 / 3) + 1.0 / 3 * Math.log(1.0 / 3));
    assertEquals(h, m.spectralEntropy(), 1e-15);
    assertEquals(Math.exp(h), m.effectiveRank(), 1e-15);
    assertEquals(5.0 / 4, m.stableRank(), 1e-15);
  }

  @Test
  void flatSpectrumAndZeros() {
    SpectralMetrics m = SpectralMetrics.fromSpectrum(new double[] {4, 4, 4, 4});
    assertEquals(4, m.effectiveRank(), 1e-12);
    assertEquals(4, m.stableRank(), 1e-12);
    assertEquals(1, m.conditionNumber(), 0);
    assertEquals(0, m.outliers());
    SpectralMetrics z = SpectralMetrics.fromSpectrum(new double[5]);
    assertEquals(0, z.effectiveRank());
    assertEquals(0, z.stableRank());
    assertTrue(Double.isNaN(z.conditionNumber()));
    // a tiny eigenvalue under the stated cut-off does not define the condition number
    SpectralMetrics c = SpectralMetrics.fromSpectrum(new double[] {1, 0.5, 1e-17});
    assertEquals(2, c.conditionNumber(), 1e-15);
    assertEquals(2, SpectralMetrics.fromSpectrum(new double[] {1, 0.5, 1e-17}, 0.0).conditionNumberPositive() / 5e16, 1e-12);
  }

  @Test
  void outliersBeyondTheFences() {
    double[] l = new double[23];
    for (int i = 0; i < 20; i++) l[i] = i + 1;
    l[20] = 0; // zeros do not enter the bulk
    l[21] = 1000;
    l[22] = -40;
    // 22 non-zero values −40, 1..20, 1000: Q1 = 6th = 5, Q3 = 17th = 16, IQR = 11, fences [5 − 33, 16 + 33]
    SpectralMetrics m = SpectralMetrics.fromSpectrum(l);
    assertEquals(-28, m.bulkLower(), 1e-12);
    assertEquals(49, m.bulkUpper(), 1e-12);
    assertEquals(2, m.outliers());
    l[22] = -20; // now inside the lower fence
    assertEquals(1, SpectralMetrics.fromSpectrum(l).outliers());
  }

  @Test
  void slqMetricsMatchFullWhenQuadratureIsExact() {
    // Five distinct eigenvalues: Lanczos breaks down after 5 steps and the quadrature is exact per probe.
    int n = 100;
    double[] l = new double[n];
    for (int i = 0; i < n; i++) l[i] = new double[] {-1, 0.5, 1, 2, 30}[i % 5];
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 51), n);
    SlqResult slq = Slq.run(op, 20, 30, 4);
    SpectralMetrics s = SpectralMetrics.fromSlq(slq);
    SpectralMetrics f = SpectralMetrics.fromSpectrum(l);
    assertEquals("slq", s.source());
    assertEquals(f.lambdaMax(), s.lambdaMax(), 1e-10 * 30);
    assertEquals(f.lambdaMin(), s.lambdaMin(), 1e-10 * 30);
    assertEquals(f.conditionNumber(), s.conditionNumber(), 1e-8);
    // counts and traces are Monte Carlo estimates: within 4 standard errors
    assertTrue(Math.abs(s.trace() - f.trace()) <= 4 * slq.traceStandardError());
    assertEquals(f.negativeFraction(), s.negativeFraction(), 0.1);
    assertSame(null, SpectralMetrics.of(null, null));
    assertEquals("slq", SpectralMetrics.of(null, slq).source());
    assertEquals("full", SpectralMetrics.of(l, slq).source());
  }

  @Test
  void badArguments() {
    ArpackCheck.assertMessage(() -> SpectralMetrics.fromSpectrum(new double[0]), "eigenvalues");
    ArpackCheck.assertMessage(() -> SpectralMetrics.fromSpectrum(new double[] {Double.NaN}), "finite");
    ArpackCheck.assertMessage(() -> SpectralMetrics.fromSpectrum(new double[] {1}, -1), "zeroCutoff");
  }
}
