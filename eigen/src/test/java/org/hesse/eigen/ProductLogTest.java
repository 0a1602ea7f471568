package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ludovic.netlib.arpack.ARPACK;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The Ritz vectors' products from the products an ARPACK solve made, against new products of the operator: equal to
 * 1e-12 of ‖A‖ where the solve converged before a restart (so are the residuals), and none after restarts (whose basis
 * holds vectors never applied); on both back ends.
 */
class ProductLogTest {
  static final int N = 200;

  @Test
  void ritzProductsFromTheSolvesOwnProductsEqualNewProducts() {
    // a Hessian block's shape: five separated outliers over a bulk in [−1, 1], so the top converges in one run
    double[] lambda = new double[N];
    for (int i = 0; i < N; i++) lambda[i] = i < 5 ? 100 - 10 * i : -1 + 2.0 * i / N;
    DenseOperator op = new DenseOperator(TestMatrices.withSpectrum(lambda, 4), N);
    double scale = TestMatrices.maxAbs(lambda);
    for (ARPACK backend : new ARPACK[] {Arpack.nativeBackend(), Arpack.javaBackend()}) {
      if (backend == null) continue;
      String what = backend.getClass().getSimpleName();
      ProductLog log = new ProductLog(op, 21);
      AtomicReference<KrylovBasis> basis = new AtomicReference<>();
      ArpackResult r = Arpack.request(5).which(Which.LA).tol(1e-10).ncv(20).seed(9).backend(backend).basis(basis::set)
          .solve(log);
      assertTrue(r.complete(), what);
      assertEquals(1, r.iterations(), what + ": converged in the first Lanczos run");
      int k = r.eigenvalues().length;
      double[] fromLog = log.productsInSpan(basis.get(), r.eigenvectors(), k);
      assertNotNull(fromLog, what + ": every basis vector was applied");
      double[] direct = new double[k * N];
      op.applyMany(r.eigenvectors(), direct, k);
      for (int i = 0; i < k * N; i++) assertEquals(direct[i], fromLog[i], 1e-12 * scale, what + " [" + i + "]");
      double[] rl = r.residuals(fromLog);
      double[] rd = r.residuals(direct);
      for (int j = 0; j < k; j++) assertEquals(rd[j], rl[j], 1e-12 * scale, what + " residual " + j);

      // ncv 8 with 5 wanted: implicit restarts rotate the basis into vectors that were never applied
      ProductLog small = new ProductLog(op, 9);
      AtomicReference<KrylovBasis> rotated = new AtomicReference<>();
      ArpackResult s = Arpack.request(5).which(Which.LA).tol(1e-10).ncv(8).maxIterations(3000).seed(9).backend(backend)
          .basis(rotated::set).solve(small);
      assertTrue(s.complete() && s.iterations() > 1, what + ": restarted, " + s.iterations() + " iterations");
      assertNull(small.productsInSpan(rotated.get(), s.eigenvectors(), s.eigenvalues().length), what + " after restarts");
    }
  }

  @Test
  void ritzProductsOverSeveralChunksOfRows() {
    // a diagonal operator of 2 · 2,048 + 3 rows: the sums cross chunk boundaries and the fingerprint has a tail
    int n = 2 * 2048 + 3;
    double[] d = new double[n];
    for (int i = 0; i < n; i++) d[(i * 7) % n] = i < 5 ? 100 - 10 * i : -1 + 2.0 * i / n;
    LinearOperator op = new LinearOperator() {
      @Override public int dim() { return n; }
      @Override public boolean symmetric() { return true; }
      @Override public void apply(double[] x, double[] y) {
        for (int i = 0; i < n; i++) y[i] = d[i] * x[i];
      }
    };
    ProductLog log = new ProductLog(op, 21);
    AtomicReference<KrylovBasis> basis = new AtomicReference<>();
    ArpackResult r = Arpack.request(5).which(Which.LA).tol(1e-10).ncv(20).seed(3).basis(basis::set).solve(log);
    assertTrue(r.complete() && r.iterations() == 1, "converged in the first Lanczos run: " + r.iterations());
    int k = r.eigenvalues().length;
    double[] fromLog = log.productsInSpan(basis.get(), r.eigenvectors(), k);
    assertNotNull(fromLog);
    double[] direct = new double[k * n];
    op.applyMany(r.eigenvectors(), direct, k);
    for (int i = 0; i < k * n; i++) assertEquals(direct[i], fromLog[i], 1e-12 * 100, "[" + i + "]");
  }

  @Test
  void theFingerprintSeesEveryBit() {
    // one bit flipped anywhere (each of the four lanes, the tail) changes the fingerprint of a 4,099-vector
    int n = 4099;
    double[] a = new double[n + 2];
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
    for (int i = 0; i < a.length; i++) a[i] = rnd.nextDouble() - 0.5;
    long h = ProductLog.fingerprint(a, 1, n);
    assertEquals(h, ProductLog.fingerprint(a.clone(), 1, n), "same bits, same fingerprint");
    for (int i = 1; i <= n; i++) {
      for (int bit : new int[] {0, 31, 63}) {
        double old = a[i];
        a[i] = Double.longBitsToDouble(Double.doubleToRawLongBits(old) ^ (1L << bit));
        assertTrue(ProductLog.fingerprint(a, 1, n) != h, "bit " + bit + " of element " + i);
        a[i] = old;
      }
    }
    a[0] += 1;
    a[n + 1] += 1;
    assertEquals(h, ProductLog.fingerprint(a, 1, n), "only the n values from the offset count");
  }
}
