package org.hesse.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ludovic.netlib.blas.BLAS;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Row-major products on every BLAS back end (the one in use — JNI OpenBLAS when installed — and pure Java)
 * against a naive triple loop: both paths agree, so the network code gives the same numbers with or without
 * native libraries.
 */
class GemmTest {
  @ParameterizedTest
  @CsvSource({"false,false", "true,false", "false,true", "true,true"})
  void rowMajorProductMatchesNaiveLoopOnEveryBackend(boolean ta, boolean tb) {
    int m = 7, n = 5, k = 9;
    SplittableRandom r = new SplittableRandom(3);
    double[] a = new double[m * k + 2];
    double[] b = new double[k * n + 3];
    for (int i = 0; i < a.length; i++) a[i] = r.nextDouble() - 0.5;
    for (int i = 0; i < b.length; i++) b[i] = r.nextDouble() - 0.5;
    double[] c0 = new double[m * n + 1];
    for (int i = 0; i < c0.length; i++) c0[i] = r.nextDouble();
    double[] expected = c0.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          double av = ta ? a[2 + p * m + i] : a[2 + i * k + p];
          double bv = tb ? b[3 + j * k + p] : b[3 + p * n + j];
          s += av * bv;
        }
        expected[1 + i * n + j] = 0.5 * s + 2.0 * c0[1 + i * n + j];
      }
    }
    for (BLAS blas : new BLAS[] {Linalg.blas(), Linalg.javaBlas()}) {
      double[] c = c0.clone();
      Gemm.gemm(blas, ta, tb, m, n, k, 0.5, a, 2, b, 3, 2.0, c, 1);
      for (int i = 0; i < c.length; i++) assertEquals(expected[i], c[i], 1e-14, blas.getClass().getSimpleName());
    }
  }
}
