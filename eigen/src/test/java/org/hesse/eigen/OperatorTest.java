package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.hesse.linalg.Linalg;
import org.junit.jupiter.api.Test;

/** DenseOperator against a plain triple loop; applyMany against apply; the counting wrapper. */
class OperatorTest {
  @Test
  void denseApplyAndApplyManyMatchLoops() {
    int n = 17, k = 4;
    SplittableRandom r = new SplittableRandom(61);
    double[] a = new double[n * n];
    for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() - 0.5; // not symmetric on purpose
    double[] x = new double[n * k];
    for (int i = 0; i < x.length; i++) x[i] = r.nextDouble();
    for (var blas : new dev.ludovic.netlib.blas.BLAS[] {Linalg.blas(), Linalg.javaBlas()}) {
      DenseOperator op = new DenseOperator(a, n, blas);
      assertFalse(op.symmetric());
      double[] y = new double[n * k];
      op.applyMany(x, y, k);
      for (int j = 0; j < k; j++) {
        for (int i = 0; i < n; i++) {
          double s = 0;
          for (int t = 0; t < n; t++) s += a[i * n + t] * x[j * n + t];
          assertEquals(s, y[j * n + i], 1e-14 * n);
        }
      }
      // the interface default (loop of apply) agrees with the dgemm override
      LinearOperator plain = new LinearOperator() {
        public int dim() { return n; }
        public void apply(double[] xx, double[] yy) { op.apply(xx, yy); }
      };
      double[] y2 = new double[n * k];
      plain.applyMany(x, y2, k);
      assertArrayEquals(y, y2, 1e-14 * n);
    }
  }

  @Test
  void symmetryFlagAndCounting() {
    double[] a = TestMatrices.withSpectrum(new double[] {1, 2, 3}, 62);
    DenseOperator op = new DenseOperator(a, 3);
    assertTrue(op.symmetric());
    CountingOperator c = new CountingOperator(op);
    c.apply(new double[3], new double[3]);
    c.applyMany(new double[6], new double[6], 2);
    assertEquals(3, c.applications());
    ArpackResult r = Arpack.request(2).solve(c); // k = n − 1: dense fallback, n applications
    assertEquals(3 + 3, c.applications());
    assertEquals(3, r.applications());
  }

  @Test
  void countsMatchArpackReport() {
    int n = 100;
    CountingOperator c = new CountingOperator(new DenseOperator(
        TestMatrices.withSpectrum(TestMatrices.spectrum("spread", n, 1), 63), n));
    ArpackResult r = Arpack.request(4).tol(1e-10).solve(c);
    assertEquals(c.applications(), r.applications());
  }

  @Test
  void badArguments() {
    ArpackCheck.assertMessage(() -> new DenseOperator(new double[5], 2), "n*n");
    ArpackCheck.assertMessage(() -> new DenseOperator(new double[4], 0), "n");
    DenseOperator op = new DenseOperator(new double[4], 2);
    ArpackCheck.assertMessage(() -> op.apply(new double[1], new double[2]), "x");
    ArpackCheck.assertMessage(() -> op.applyMany(new double[4], new double[2], 2), "y");
  }

  /** One argument rule (LinearOperator.checkMany) for the default applyMany and an override: the same messages. */
  @Test
  void applyManyArgumentsAreCheckedByOneRule() {
    DenseOperator dense = new DenseOperator(new double[] {2, 0, 0, 3}, 2);
    LinearOperator plain = new LinearOperator() {
      public int dim() { return 2; }
      public void apply(double[] x, double[] y) { dense.apply(x, y); }
    };
    for (double[][] xy : new double[][][] {{new double[4], new double[4], {0}}, {new double[3], new double[4], {2}},
        {new double[4], new double[3], {2}}}) {
      int k = (int) xy[2][0];
      String a = assertThrows(IllegalArgumentException.class, () -> dense.applyMany(xy[0], xy[1], k)).getMessage();
      String b = assertThrows(IllegalArgumentException.class, () -> plain.applyMany(xy[0], xy[1], k)).getMessage();
      assertEquals(a, b);
      assertEquals(a, assertThrows(IllegalArgumentException.class, () -> LinearOperator.checkMany(xy[0], xy[1], k, 2, 2)).getMessage());
    }
  }
}
