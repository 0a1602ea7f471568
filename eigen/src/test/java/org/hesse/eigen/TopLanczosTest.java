package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The early-stopping top Lanczos against dense LAPACK (dsyevr) eigenvalues of Q diag(λ) Qᵀ, with residuals
 * ‖A y − θ y‖ from new products, and its product count against plain ARPACK's on the same operator.
 */
class TopLanczosTest {
  static final int N = 200;
  static final int K = 5;
  static final double TOL = 1e-8;

  /** λ: a bulk in [−1, 2] with a top like a Hessian block's or a prescribed one. */
  static double[] bulk(long seed, double... top) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] l = new double[N];
    for (int i = 0; i < N; i++) l[i] = -1 + 3 * r.nextDouble();
    System.arraycopy(top, 0, l, N - top.length, top.length);
    return l;
  }

  /** Dense LAPACK's eigenvalues of a, ascending (the independent reference). */
  static double[] lapack(double[] a) {
    return DenseEigen.all(a.clone(), N, false).eigenvalues();
  }

  /** The pairs' residuals by new products must be within tol·‖A‖ (plus rounding). */
  static void checkResiduals(DenseOperator op, ArpackResult r, double normA) {
    for (double res : r.residuals(op)) assertTrue(res <= TOL * normA + 1e-12 * normA, "residual " + res + " " + r.message());
  }

  @Test
  void clusteredTopAgreesWithDenseLapack() {
    // a cluster of four within 1e-3 of each other at the top, then a gap
    double[] l = bulk(3, 9.997, 9.998, 9.999, 10, 6);
    double[] a = TestMatrices.withSpectrum(l, 5);
    DenseOperator op = new DenseOperator(a, N);
    double[] ref = lapack(a);
    ArpackResult r = TopLanczos.solve(op, K, TOL, N, 7, null);
    assertTrue(r.complete(), r.message());
    assertEquals("lanczos", r.method());
    // eigenvalue error ≤ residual² / gap: far below 1e-8·‖A‖
    assertArrayEquals(Arrays.copyOfRange(ref, N - K, N), r.eigenvalues(), 1e-8 * 10);
    checkResiduals(op, r, 10);
  }

  @Test
  void toleranceZeroMeansMachinePrecision() {
    // ARPACK's convention: tol 0 asks for residuals at machine precision, and a separated top still converges
    // before n steps (it never did under the literal bound |β s| ≤ 0)
    double[] l = bulk(5, 40, 30, 20, 15, 12);
    double[] a = TestMatrices.withSpectrum(l, 4);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = TopLanczos.solve(op, K, 0.0, N - 1, 7, null);
    assertTrue(r.complete(), r.message());
    assertTrue(op.applications() < N - 1, "stopped early: " + op.applications() + " products");
    double[] ref = lapack(a);
    assertArrayEquals(Arrays.copyOfRange(ref, N - K, N), r.eigenvalues(), 1e-12 * 40);
  }

  @Test
  void degenerateTopComesBackAsItsDistinctValues() {
    // 10 three times: one Krylov vector per eigenspace, so the top 5 seen are 10, 8, 7, 6.5, 6
    double[] l = bulk(4, 6, 6.5, 7, 8, 10, 10, 10);
    double[] a = TestMatrices.withSpectrum(l, 6);
    DenseOperator op = new DenseOperator(a, N);
    double[] ref = lapack(a);
    assertEquals(10, ref[N - 3], 1e-12 * N * 10, "reference: the threefold value");
    ArpackResult r = TopLanczos.solve(op, K, TOL, N, 8, null);
    assertTrue(r.complete(), r.message());
    double[] distinct = {ref[N - 7], ref[N - 6], ref[N - 5], ref[N - 4], ref[N - 1]};
    assertArrayEquals(distinct, r.eigenvalues(), 1e-8 * 10);
    checkResiduals(op, r, 10);
  }

  @Test
  void invariantKrylovSpaceStopsAndHandsOver() {
    // six distinct values (each many times): the Krylov space of any start vector has dimension 6, so the run
    // stops there (β = 0) and, the values being repeated, leaves the top with multiplicity to ARPACK
    double[] l = new double[N];
    double[] values = {-2, 0.5, 1, 3, 4, 9};
    for (int i = 0; i < N; i++) l[i] = values[i % values.length];
    double[] a = TestMatrices.withSpectrum(l, 9);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = TopLanczos.solve(op, K, TOL, N, 1, null);
    assertFalse(r.complete(), r.message());
    assertTrue(r.message().contains("invariant after 6 "), r.message());
    assertEquals(6, op.applications(), "products: one per dimension of the Krylov space");
    assertEquals(6, r.applications());
    // n distinct values and n steps: the space is the whole one and the pairs are exact
    double[] small = {-1, 0.5, 2, 3, 5, 8, 13};
    DenseOperator whole = new DenseOperator(TestMatrices.withSpectrum(small, 10), small.length);
    ArpackResult w = TopLanczos.solve(whole, 3, 0.0, small.length, 1, null);
    assertTrue(w.complete(), w.message());
    assertArrayEquals(new double[] {5, 8, 13}, w.eigenvalues(), 1e-13 * 13 * small.length);
  }

  @Test
  void hessianLikeTopTakesFewerProductsThanArpack() {
    double[] l = bulk(11, 14, 20, 31, 45, 70, 120);
    double[] a = TestMatrices.withSpectrum(l, 12);
    double[] ref = lapack(a);
    CountingOperator lz = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = TopLanczos.solve(lz, K, TOL, SpectrumEnds.lanczosVectors(N, K, 0), 2, null);
    CountingOperator ar = new CountingOperator(new DenseOperator(a, N));
    ArpackResult plain = SpectrumEnds.arpack(ar, Which.LA, K, Double.NaN, TOL, 0, Arpack.DEFAULT_MAX_ITERATIONS, 2);
    assertTrue(r.complete(), r.message());
    assertTrue(plain.complete(), plain.message());
    assertArrayEquals(Arrays.copyOfRange(ref, N - K, N), r.eigenvalues(), 1e-8 * 120);
    assertArrayEquals(plain.eigenvalues(), r.eigenvalues(), 1e-8 * 120);
    checkResiduals(new DenseOperator(a, N), r, 120);
    assertEquals(lz.applications(), r.applications());
    assertTrue(lz.applications() < ar.applications(), "Lanczos " + lz.applications() + " products, ARPACK " + ar.applications());
  }

  @Test
  void sameSeedSameBitsAndTheBasisIsTheLoggedOne() {
    double[] l = bulk(13, 5, 7, 9, 12, 15, 30);
    double[] a = TestMatrices.withSpectrum(l, 14);
    ProductLog log = new ProductLog(new DenseOperator(a, N), SpectrumEnds.lanczosVectors(N, K, 0) + 1);
    AtomicReference<KrylovBasis> basis = new AtomicReference<>();
    ArpackResult r1 = TopLanczos.solve(log, K, TOL, 20, 3, basis::set);
    ArpackResult r2 = TopLanczos.solve(new DenseOperator(a, N), K, TOL, 20, 3, null);
    assertTrue(r1.complete(), r1.message());
    assertArrayEquals(r1.eigenvalues(), r2.eigenvalues(), 0.0);
    assertArrayEquals(r1.eigenvectors(), r2.eigenvectors(), 0.0);
    KrylovBasis b = basis.get();
    assertNotNull(b);
    assertEquals(r1.applications(), b.m());
    // tr T = Σ v_jᵀ A v_j by new products
    double[] av = new double[b.m() * N];
    new DenseOperator(a, N).applyMany(b.vectors(), av, b.m());
    double t = 0;
    for (int j = 0; j < b.m(); j++) t += Vec.dot(b.vectors(), j * N, av, j * N, N);
    assertEquals(t, b.traceT(), 1e-12 * 30 * b.m());
    // the Ritz vectors' products from the logged ones equal new products
    double[] logged = log.productsInSpan(b, r1.eigenvectors(), K);
    assertNotNull(logged, "every basis vector's product is in the log");
    double[] fresh = new double[K * N];
    new DenseOperator(a, N).applyMany(r1.eigenvectors(), fresh, K);
    assertArrayEquals(fresh, logged, 1e-12 * 30);
  }

  @Test
  void notConvergedWithinTheStepsIsPartial() {
    double[] l = bulk(15, 9.999, 10);
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(l, 16), N);
    ArpackResult r = TopLanczos.solve(op, K, TOL, K + 1, 1, null);
    assertFalse(r.complete(), r.message());
    assertEquals(K + 1, r.applications());
  }
}
