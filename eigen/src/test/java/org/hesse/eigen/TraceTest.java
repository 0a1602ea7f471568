package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.hesse.eigen.Probes.Distribution;
import org.junit.jupiter.api.Test;

/**
 * Estimators checked by z-tests over a fixed set of seeds. Each estimate averages 60 probes, so it is close to
 * Gaussian; |z| > 4 has a two-sided probability of 6.3e-5, over 20 seeds a false-alarm rate of ~1.3e-3 (and the
 * seeds are fixed, so a pass is reproducible).
 */
class TraceTest {
  static final int N = 100;
  static final int SEEDS = 20;
  static final double Z = 4.0;

  static double[] lambda() {
    SplittableRandom r = new SplittableRandom(31);
    double[] l = new double[N];
    for (int i = 0; i < N; i++) l[i] = -1 + 4 * r.nextDouble();
    return l;
  }

  @Test
  void hutchinsonZTest() {
    double[] l = lambda();
    double trace = 0;
    for (double v : l) trace += v;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 32), N);
    for (Distribution d : Distribution.values()) {
      double zsum = 0;
      for (int s = 0; s < SEEDS; s++) {
        TraceEstimate e = Trace.hutchinson(op, 60, d, 1000 + s);
        assertEquals(60, e.applications());
        double z = (e.estimate() - trace) / e.standardError();
        assertTrue(Math.abs(z) <= Z, d + " seed " + s + ": z = " + z);
        zsum += z;
      }
      assertTrue(Math.abs(zsum / Math.sqrt(SEEDS)) <= Z, d + ": pooled z = " + zsum / Math.sqrt(SEEDS));
    }
  }

  @Test
  void frobeniusZTest() {
    double[] l = lambda();
    double fro = 0;
    for (double v : l) fro += v * v;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 33), N);
    for (int s = 0; s < SEEDS; s++) {
      TraceEstimate e = Trace.frobeniusSquared(op, 60, 2000 + s);
      double z = (e.estimate() - fro) / e.standardError();
      assertTrue(Math.abs(z) <= Z, "seed " + s + ": z = " + z);
    }
  }

  @Test
  void hutchPlusPlusBeatsHutchinsonOnLowRankPlusNoise() {
    double[] l = new double[N];
    SplittableRandom r = new SplittableRandom(34);
    for (int i = 0; i < N; i++) l[i] = i < 8 ? 50 + 50 * r.nextDouble() : 0.1 * r.nextDouble();
    double trace = 0;
    for (double v : l) trace += v;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 35), N);
    double errH = 0, errPP = 0;
    for (int s = 0; s < SEEDS; s++) {
      TraceEstimate h = Trace.hutchinson(op, 30, Distribution.RADEMACHER, 3000 + s);
      TraceEstimate pp = Trace.hutchPlusPlus(op, 30, 3000 + s);
      assertEquals(30, pp.applications());
      errH += Math.abs(h.estimate() - trace);
      errPP += Math.abs(pp.estimate() - trace);
    }
    assertTrue(errPP < 0.2 * errH, "Hutch++ mean error " + errPP / SEEDS + " vs Hutchinson " + errH / SEEDS);
  }

  @Test
  void hutchPlusPlusIsExactWhenTheSketchSpansTheRange() {
    double[] l = new double[N];
    for (int i = 0; i < 5; i++) l[i] = 1 + i; // rank 5 < 10 sketch vectors
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 36), N);
    TraceEstimate pp = Trace.hutchPlusPlus(op, 31, 7);
    assertEquals(15.0, pp.estimate(), 1e-10 * 15);
    assertEquals(31, pp.applications());
  }

  /** Columns first..first+k−1 of TestMatrices.orthogonal(N, seed) (eigenvectors of withSpectrum(λ, seed)) and A times them. */
  static double[][] vectorsAndProducts(DenseOperator op, long seed, int first, int k) {
    double[] q = TestMatrices.orthogonal(N, seed);
    double[] v = new double[k * N];
    for (int j = 0; j < k; j++) for (int i = 0; i < N; i++) v[j * N + i] = q[i * N + first + j];
    double[] av = new double[k * N];
    op.applyMany(v, av, k);
    return new double[][] {v, av};
  }

  @Test
  void hutchPlusPlusOnKnownEigenvectorsZTest() {
    // low rank plus noise, as above; the 5 largest eigenvectors known (columns 0..4 carry λ ≥ 50)
    double[] l = new double[N];
    SplittableRandom r = new SplittableRandom(39);
    for (int i = 0; i < N; i++) l[i] = i < 8 ? 50 + 50 * r.nextDouble() : 0.1 + 0.5 * r.nextDouble();
    double trace = 0;
    for (double v : l) trace += v;
    DenseOperator dense = new DenseOperator(TestMatrices.withSpectrum(l, 40), N);
    double[][] vav = vectorsAndProducts(dense, 40, 0, 5);
    double zsum = 0;
    for (int s = 0; s < SEEDS; s++) {
      CountingOperator op = new CountingOperator(dense);
      TraceEstimate e = Trace.hutchPlusPlus(op, 90, 5000 + s, vav[0], vav[1], 5);
      assertEquals("hutch++-eigenvectors", e.method());
      assertEquals(90 - 2 * 5, op.applications(), "the known vectors cost no products");
      assertEquals(op.applications(), e.applications());
      double z = (e.estimate() - trace) / e.standardError();
      assertTrue(Math.abs(z) <= Z, "seed " + s + ": z = " + z);
      zsum += z;
    }
    assertTrue(Math.abs(zsum / Math.sqrt(SEEDS)) <= Z, "pooled z = " + zsum / Math.sqrt(SEEDS));
  }

  @Test
  void hutchPlusPlusOnKnownEigenvectorsIsExactWhenQSpansTheRange() {
    double[] l = new double[N];
    for (int i = 0; i < 8; i++) l[i] = 1 + i;  // rank 8: 3 known eigenvectors + 10 − 3 sketch vectors span it
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 41), N);
    double[][] vav = vectorsAndProducts(op, 41, 5, 3);
    TraceEstimate e = Trace.hutchPlusPlus(op, 30, 7, vav[0], vav[1], 3);
    assertEquals(36.0, e.estimate(), 1e-10 * 36);
    assertEquals(0.0, e.standardError(), 1e-10, "nothing left for the Hutchinson part");
    assertEquals(30 - 2 * 3, e.applications());
  }

  @Test
  void hutchPlusPlusOnALanczosBasisZTest() {
    double[] l = new double[N];
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < N; i++) l[i] = i < 8 ? 50 + 50 * r.nextDouble() : -0.5 + r.nextDouble();
    double trace = 0;
    for (double v : l) trace += v;
    DenseOperator dense = new DenseOperator(TestMatrices.withSpectrum(l, 43), N);
    java.util.concurrent.atomic.AtomicReference<KrylovBasis> basis = new java.util.concurrent.atomic.AtomicReference<>();
    assertTrue(Arpack.request(5).which(Which.LA).tol(1e-8).seed(1).basis(basis::set).solve(dense).complete());
    double zsum = 0;
    for (int s = 0; s < SEEDS; s++) {
      CountingOperator op = new CountingOperator(dense);
      TraceEstimate e = Trace.hutchPlusPlusOnBasis(op, basis.get(), 60, 6000 + s);
      assertEquals("hutch++-krylov", e.method());
      assertEquals(60, op.applications(), "only the probes cost products");
      double z = (e.estimate() - trace) / e.standardError();
      assertTrue(Math.abs(z) <= Z, "seed " + s + ": z = " + z);
      zsum += z;
    }
    assertTrue(Math.abs(zsum / Math.sqrt(SEEDS)) <= Z, "pooled z = " + zsum / Math.sqrt(SEEDS));
  }

  @Test
  void badArguments() {
    DenseOperator op = new DenseOperator(new double[] {1, 0, 0, 1}, 2);
    ArpackCheck.assertMessage(() -> Trace.hutchinson(op, 0, Distribution.GAUSSIAN, 1), "samples");
    ArpackCheck.assertMessage(() -> Trace.hutchinson(op, 3, null, 1), "dist");
    ArpackCheck.assertMessage(() -> Trace.hutchPlusPlus(op, 2, 1), "budget");
    ArpackCheck.assertMessage(() -> Trace.frobeniusSquared(op, -1, 1), "samples");
    ArpackCheck.assertMessage(() -> Trace.hutchPlusPlus(op, 6, 1, new double[2], new double[1], 1), "av");
    ArpackCheck.assertMessage(() -> Trace.hutchPlusPlus(op, 6, 1, new double[2], new double[2], -1), "k");
  }
}
