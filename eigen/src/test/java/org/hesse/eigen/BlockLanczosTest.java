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
 * The early-stopping block Lanczos against dense LAPACK (dsyevr) eigenvalues of Q diag(λ) Qᵀ, with residuals
 * ‖A y − θ y‖ from new products, and its product count against the operator's count and plain ARPACK's.
 */
class BlockLanczosTest {
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
  static double[] lapack(double[] a, int n) {
    return DenseEigen.all(a.clone(), n, false).eigenvalues();
  }

  static double[] top(double[] ascending, int k) {
    return Arrays.copyOfRange(ascending, ascending.length - k, ascending.length);
  }

  /** The pairs' residuals by new products must be within tol·‖A‖ (plus rounding). */
  static void checkResiduals(LinearOperator op, ArpackResult r, double normA) {
    for (double res : r.residuals(op)) assertTrue(res <= TOL * normA + 1e-12 * normA, "residual " + res + " " + r.message());
  }

  @Test
  void topOfMultiplicityThreeAndFourComesBackWithEveryCopy() {
    // 10 three times, then 7 four times: a single start vector sees 10 and 7 once each
    double[] l = bulk(4, 5, 7, 7, 7, 7, 10, 10, 10);
    double[] a = TestMatrices.withSpectrum(l, 6);
    double[] ref = lapack(a, N);
    assertEquals(10, ref[N - 3], 1e-12 * N * 10, "reference: the threefold value");
    assertEquals(7, ref[N - 7], 1e-12 * N * 10, "reference: the fourfold value");
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(op, 7, 7, TOL, N, 8, null);
    assertTrue(r.complete(), r.message());
    assertEquals("block-lanczos", r.method());
    assertArrayEquals(top(ref, 7), r.eigenvalues(), 1e-8 * 10);
    checkResiduals(new DenseOperator(a, N), r, 10);
    assertEquals(op.applications(), r.applications(), "applications: every vector of every block");
    // the top 5 with a block of 5: three copies of 10 and two of 7
    ArpackResult r5 = BlockLanczos.solve(new DenseOperator(a, N), K, K, TOL, N, 8, null);
    assertTrue(r5.complete(), r5.message());
    assertArrayEquals(top(ref, K), r5.eigenvalues(), 1e-8 * 10);
  }

  @Test
  void aSearchThatSpansTheWholeSpaceIsCompleteWithItsCopies() {
    // n = 6, eigenvalues {1, 2, 3, 4, 5, 5}: with a block of 2 the basis reaches all 6 dimensions, where every
    // eigenvalue is exact; the twofold 5 must not send it on to look for more copies
    double[] l = {1, 2, 3, 4, 5, 5};
    double[] a = TestMatrices.withSpectrum(l, 3);
    double[] ref = lapack(a, l.length);
    ArpackResult r = BlockLanczos.solve(new DenseOperator(a, l.length), 3, 2, TOL, l.length, 8, null);
    assertTrue(r.complete(), r.message());
    assertArrayEquals(Arrays.copyOfRange(ref, 3, 6), r.eigenvalues(), 1e-12 * 5);
  }

  @Test
  void asManyCopiesAsTheBlockAboveTheKthRunAgainWithABlockOfK() {
    // 10 four times with a block of 2: two copies come back above the 5th value, so it may have more: the search
    // runs again with a block of 5 and returns the 4 copies and 8, both runs' products counted
    double[] l = bulk(17, 6, 6.5, 7, 8, 10, 10, 10, 10);
    double[] a = TestMatrices.withSpectrum(l, 18);
    double[] ref = lapack(a, N);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(op, K, 2, TOL, N, 9, null);
    assertTrue(r.complete(), r.message());
    assertTrue(r.message().contains("came back 2 times"), r.message());
    assertArrayEquals(top(ref, K), r.eigenvalues(), 1e-8 * 10);
    assertEquals(op.applications(), r.applications());
    checkResiduals(new DenseOperator(a, N), r, 10);
    // the top 2 are two copies of 10 whatever its multiplicity: one run
    CountingOperator op2 = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r2 = BlockLanczos.solve(op2, 2, 2, TOL, N, 9, null);
    assertTrue(r2.complete(), r2.message());
    assertFalse(r2.message().contains("came back"), r2.message());
    assertArrayEquals(top(ref, 2), r2.eigenvalues(), 1e-8 * 10);
    assertTrue(op2.applications() < op.applications(), op2.applications() + " against " + op.applications());
  }

  @Test
  void clusteredTopAgreesWithDenseLapack() {
    // a cluster of four within 1e-3 of each other at the top, then a gap
    double[] l = bulk(3, 9.997, 9.998, 9.999, 10, 6);
    double[] a = TestMatrices.withSpectrum(l, 5);
    DenseOperator op = new DenseOperator(a, N);
    ArpackResult r = BlockLanczos.solve(op, K, K, TOL, N, 7, null);
    assertTrue(r.complete(), r.message());
    // eigenvalue error ≤ residual² / gap: far below 1e-8·‖A‖
    assertArrayEquals(top(lapack(a, N), K), r.eigenvalues(), 1e-8 * 10);
    checkResiduals(op, r, 10);
  }

  @Test
  void toleranceZeroMeansMachinePrecision() {
    double[] l = bulk(5, 40, 30, 20, 15, 12);
    double[] a = TestMatrices.withSpectrum(l, 4);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(op, K, K, 0.0, N, 7, null);
    assertTrue(r.complete(), r.message());
    assertTrue(op.applications() < N, "stopped early: " + op.applications() + " products");
    assertArrayEquals(top(lapack(a, N), K), r.eigenvalues(), 1e-12 * 40);
  }

  @Test
  void invariantSubspaceBeforeNGivesEveryCopy() {
    // six distinct values, each 33 or 34 times: the block Krylov space of 5 start vectors is invariant at 6 × 5 = 30
    // vectors, and the top 5 are five copies of 9
    double[] l = new double[N];
    double[] values = {-2, 0.5, 1, 3, 4, 9};
    for (int i = 0; i < N; i++) l[i] = values[i % values.length];
    double[] a = TestMatrices.withSpectrum(l, 9);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(op, K, K, TOL, N, 1, null);
    assertTrue(r.complete(), r.message());
    assertEquals(30, op.applications(), "products: the dimension of the block Krylov space");
    assertEquals(30, r.applications());
    assertArrayEquals(top(lapack(a, N), K), r.eigenvalues(), 1e-12 * 9 * N);
    checkResiduals(new DenseOperator(a, N), r, 9);
  }

  @Test
  void rankDeficientOperatorDropsItsZeroColumns() {
    // A = 6 u uᵀ + 2 v vᵀ: after the start block every product lies in span{u, v}, so the next blocks lose columns
    // and the space becomes invariant; the top 3 are 6, 2 and 0
    int n = 50;
    SplittableRandom rnd = new SplittableRandom(21);
    double[] u = new double[n];
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      u[i] = rnd.nextGaussian();
      v[i] = rnd.nextGaussian();
    }
    double[] l = new double[n];
    l[n - 1] = 6;
    l[n - 2] = 2;
    double[] a = TestMatrices.withSpectrum(l, 22);
    CountingOperator op = new CountingOperator(new DenseOperator(a, n));
    ArpackResult r = BlockLanczos.solve(op, 3, 4, TOL, n, 2, null);
    assertTrue(r.complete(), r.message());
    assertTrue(r.applications() < n, "invariant before n: " + r.applications());
    assertEquals(op.applications(), r.applications());
    assertArrayEquals(top(lapack(a, n), 3), r.eigenvalues(), 1e-12 * 6 * n);
    // fewer vectors than k in the invariant space (rank 2, block 1): partial, for ARPACK
    double[] l2 = new double[n];
    l2[n - 1] = 6;
    ArpackResult one = BlockLanczos.solve(new DenseOperator(TestMatrices.withSpectrum(l2, 23), n), 3, 1, TOL, n, 2, null);
    assertFalse(one.complete(), one.message());
    assertTrue(one.message().contains("invariant"), one.message());
  }

  @Test
  void hessianLikeTopAgreesWithArpack() {
    double[] l = bulk(11, 14, 20, 31, 45, 70, 120);
    double[] a = TestMatrices.withSpectrum(l, 12);
    CountingOperator bl = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(bl, K, K, TOL, 40, 2, null);
    ArpackResult plain = SpectrumEnds.arpack(new DenseOperator(a, N), Which.LA, K, Double.NaN, TOL, 0,
        Arpack.DEFAULT_MAX_ITERATIONS, 2);
    assertTrue(r.complete(), r.message());
    assertTrue(plain.complete(), plain.message());
    assertArrayEquals(top(lapack(a, N), K), r.eigenvalues(), 1e-8 * 120);
    assertArrayEquals(plain.eigenvalues(), r.eigenvalues(), 1e-8 * 120);
    checkResiduals(new DenseOperator(a, N), r, 120);
    assertEquals(bl.applications(), r.applications());
  }

  @Test
  void sameSeedSameBitsAndTheBasisIsTheLoggedOne() {
    double[] l = bulk(13, 5, 7, 9, 12, 15, 30);
    double[] a = TestMatrices.withSpectrum(l, 14);
    ProductLog log = new ProductLog(new DenseOperator(a, N), 60);
    AtomicReference<KrylovBasis> basis = new AtomicReference<>();
    ArpackResult r1 = BlockLanczos.solve(log, K, K, TOL, 60, 3, basis::set);
    ArpackResult r2 = BlockLanczos.solve(new DenseOperator(a, N), K, K, TOL, 60, 3, null);
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
  void notConvergedWithinTheProductsIsPartial() {
    double[] l = bulk(15, 9.999, 10);
    CountingOperator op = new CountingOperator(new DenseOperator(TestMatrices.withSpectrum(l, 16), N));
    ArpackResult r = BlockLanczos.solve(op, K, K, TOL, 2 * K, 1, null);
    assertFalse(r.complete(), r.message());
    assertEquals(2 * K, r.applications());
    assertEquals(2 * K, op.applications());
  }

  @Test
  void singleVectorSeesARepeatedTopOnceAndTakesFewerProductsThanArpack() {
    // block 1: 10 three times comes back once (the limit: b copies), the top 5 seen being 10, 8, 7, 6.5, 6
    double[] l = bulk(4, 6, 6.5, 7, 8, 10, 10, 10);
    double[] a = TestMatrices.withSpectrum(l, 6);
    double[] ref = lapack(a, N);
    ArpackResult r = BlockLanczos.solve(new DenseOperator(a, N), K, 1, TOL, N, 8, null);
    assertTrue(r.complete(), r.message());
    assertArrayEquals(new double[] {ref[N - 7], ref[N - 6], ref[N - 5], ref[N - 4], ref[N - 1]}, r.eigenvalues(), 1e-8 * 10);
    // a Hessian-like top: fewer products than ARPACK's first run, the same values
    double[] h = TestMatrices.withSpectrum(bulk(11, 14, 20, 31, 45, 70, 120), 12);
    CountingOperator lz = new CountingOperator(new DenseOperator(h, N));
    ArpackResult one = BlockLanczos.solve(lz, K, 1, TOL, SpectrumEnds.lanczosVectors(N, K, 0), 2, null);
    CountingOperator ar = new CountingOperator(new DenseOperator(h, N));
    ArpackResult plain = SpectrumEnds.arpack(ar, Which.LA, K, Double.NaN, TOL, 0, Arpack.DEFAULT_MAX_ITERATIONS, 2);
    assertTrue(one.complete(), one.message());
    assertArrayEquals(plain.eigenvalues(), one.eigenvalues(), 1e-8 * 120);
    assertEquals(lz.applications(), one.applications());
    assertTrue(lz.applications() < ar.applications(), "Lanczos " + lz.applications() + " products, ARPACK " + ar.applications());
  }

  @Test
  void singleVectorInvariantSpaceRunsAgainWithABlockOfK() {
    // six distinct values, each many times: one start vector's Krylov space is invariant after 6 products, which
    // proves repeated values that one vector sees once, so the search runs again with a block of 5 (invariant at
    // 6 × 5 = 30 vectors): five copies of 9
    double[] l = new double[N];
    double[] values = {-2, 0.5, 1, 3, 4, 9};
    for (int i = 0; i < N; i++) l[i] = values[i % values.length];
    double[] a = TestMatrices.withSpectrum(l, 9);
    CountingOperator op = new CountingOperator(new DenseOperator(a, N));
    ArpackResult r = BlockLanczos.solve(op, K, 1, TOL, N, 1, null);
    assertTrue(r.complete(), r.message());
    assertTrue(r.message().contains("invariant after 6 "), r.message());
    assertEquals(6 + 30, op.applications());
    assertEquals(6 + 30, r.applications());
    assertArrayEquals(top(lapack(a, N), K), r.eigenvalues(), 1e-12 * 9 * N);
    // with too few products left for the second run: partial
    ArpackResult p = BlockLanczos.solve(new DenseOperator(a, N), K, 1, TOL, 6 + K, 1, null);
    assertFalse(p.complete(), p.message());
    // n distinct values and n steps: the space is the whole one and the pairs are exact
    double[] small = {-1, 0.5, 2, 3, 5, 8, 13};
    DenseOperator whole = new DenseOperator(TestMatrices.withSpectrum(small, 10), small.length);
    ArpackResult w = BlockLanczos.solve(whole, 3, 1, 0.0, small.length, 1, null);
    assertTrue(w.complete(), w.message());
    assertArrayEquals(new double[] {5, 8, 13}, w.eigenvalues(), 1e-13 * 13 * small.length);
  }
}
