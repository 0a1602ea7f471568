package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import org.hesse.linalg.Linalg;
import org.junit.jupiter.api.Test;

/** SLQ against exact moments vᵀAᵖv (dense powers) and the exact trace. */
class SlqTest {
  @Test
  void quadratureReproducesMomentsUpTo2mMinus1() {
    int n = 60, m = 8;
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) lambda[i] = -1 + 3.0 * i / (n - 1);
    double[] a = TestMatrices.withSpectrum(lambda, 21);
    DenseOperator op = new DenseOperator(a, n);
    for (dev.ludovic.netlib.lapack.LAPACK l : new dev.ludovic.netlib.lapack.LAPACK[] {Linalg.lapack(), Linalg.javaLapack()}) {
      SlqResult r = Slq.run(op, m, 3, 99, l);
      assertEquals(3L * m, r.applications());
      for (int p = 0; p < 3; p++) {
        assertEquals(m, r.probeSteps()[p]);
        double sum = 0;
        for (double w : r.weights()[p]) sum += w;
        assertEquals(1.0, sum, 1e-13);
        double[] v = Probes.probe(Probes.Distribution.RADEMACHER, 99, p, n);
        double[] x = v.clone();
        double[] y = new double[n];
        for (int pow = 0; pow <= 2 * m - 1; pow++) {
          double exact = Vec.dot(v, x, n) / n; // vᵀAᵖv/‖v‖²
          double quad = r.probeMoments(pow)[p];
          // ‖A‖ = 2: rounding grows like ‖A‖ᵖ
          assertEquals(exact, quad, 1e-12 * Math.pow(2, pow), "probe " + p + " power " + pow);
          op.apply(x, y);
          System.arraycopy(y, 0, x, 0, n);
        }
      }
    }
  }

  @Test
  void breakdownStopsEarlyAndIsExact() {
    int n = 50;
    double[] lambda = new double[n];
    for (int i = 0; i < n; i++) lambda[i] = i % 3 == 0 ? -2 : (i % 3 == 1 ? 0.5 : 4);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 22), n);
    SlqResult r = Slq.run(op, 20, 4, 5);
    for (int p = 0; p < 4; p++) {
      assertEquals(3, r.probeSteps()[p], "three distinct eigenvalues: an invariant Krylov space after 3 steps");
      assertArrayEquals(new double[] {-2, 0.5, 4}, r.nodes()[p], 1e-12 * 4);
    }
    assertEquals(12, r.applications());
    // exact trace per probe would need the projections; the trace estimate equals Hutchinson's with these probes
    TraceEstimate h = Trace.hutchinson(op, 4, Probes.Distribution.RADEMACHER, 5);
    assertEquals(h.estimate() / n, r.trace() / n, 1e-12 * 4);
  }

  @Test
  void traceWithinItsStandardErrorAndDensityNormalised() {
    int n = 200;
    double[] lambda = new double[n];
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
    double trace = 0;
    for (int i = 0; i < n; i++) {
      lambda[i] = rnd.nextDouble() * 2 - 0.5;
      trace += lambda[i];
    }
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 23), n);
    SlqResult r = Slq.run(op, 30, 20, 8);
    // |z| ≤ 4: a false alarm with probability ~6e-5 for a Gaussian estimate (fixed seed: deterministic)
    assertTrue(Math.abs(r.trace() - trace) <= 4 * r.traceStandardError(),
        "trace " + r.trace() + " vs " + trace + " ± " + r.traceStandardError());
    double sigma = r.defaultSigma();
    SlqResult.Density d = r.density(4001, sigma);
    double integral = 0, mean = 0;
    double h = d.grid()[1] - d.grid()[0];
    for (int i = 0; i < d.grid().length; i++) {
      integral += d.values()[i] * h;
      mean += d.grid()[i] * d.values()[i] * h;
    }
    assertEquals(1.0, integral, 1e-6);
    assertEquals(r.trace() / n, mean, 1e-6); // Gaussian smoothing keeps the first moment
    assertEquals(sigma, d.sigma());
    // a different width needs no new applications: the result is unchanged and just re-evaluated
    SlqResult.Density d2 = r.density(d.grid(), 3 * sigma);
    assertEquals(3 * sigma, d2.sigma());
    assertEquals(600, r.applications());
  }

  @Test
  void badArguments() {
    DenseOperator op = new DenseOperator(new double[] {1, 0, 0, 1}, 2);
    ArpackCheck.assertMessage(() -> Slq.run(op, 0, 1, 1), "steps");
    ArpackCheck.assertMessage(() -> Slq.run(op, 1, 0, 1), "probes");
    ArpackCheck.assertMessage(() -> Slq.run(null, 1, 1, 1), "op");
    SlqResult r = Slq.run(op, 2, 1, 1);
    ArpackCheck.assertMessage(() -> r.density(new double[] {0}, 0), "sigma");
  }
}
