package org.hesse.cli.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The weight-spectrum baseline against closed forms. */
class WeightSpectraTest {
  @Test
  void gramEigenvaluesOfAScaledOrthogonalMatrixAreTheSquaredScales() {
    // W = diag(s) embedded in 3 × 5 (rows orthogonal): the eigenvalues of W Wᵀ are s²; the transpose gives the same
    double[] s = {3, 0.5, 2};
    double[] w = new double[15];
    for (int i = 0; i < 3; i++) w[i * 5 + i + 1] = s[i];
    double[] ev = WeightSpectra.gramEigenvalues(w, 3, 5);
    assertArrayEquals(new double[] {0.25, 4, 9}, ev, 1e-12);
    double[] wt = new double[15];
    for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) wt[j * 3 + i] = w[i * 5 + j];
    assertArrayEquals(new double[] {0.25, 4, 9}, WeightSpectra.gramEigenvalues(wt, 5, 3), 1e-12);
    // stable rank ‖W‖_F² / ‖W‖_2² = (9 + 0.25 + 4) / 9
    assertEquals(13.25 / 9, WeightSpectra.stableRank(ev), 1e-12);
  }

  @Test
  void gramEigenvaluesSumToTheFrobeniusNorm() {
    SplittableRandom r = new SplittableRandom(4);
    double[] w = new double[7 * 4];
    double fro = 0;
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextGaussian();
      fro += w[i] * w[i];
    }
    assertEquals(fro, Arrays.stream(WeightSpectra.gramEigenvalues(w, 7, 4)).sum(), 1e-10);
  }

  @Test
  void hillEstimatorOfAnExactPowerLaw() {
    // λ_i = i^(−1/(α−1)) ... the Hill formula itself, computed by hand for 4 values (top k = 2): α = 1 + 2 / (ln(8/2) + 0)
    assertEquals(1 + 2 / Math.log(4), WeightSpectra.hillAlpha(new double[] {1, 0.5, 2, 8}), 1e-12);
    // 5 values: k = 3, tail threshold λ_3 = 4 of {16, 8, 4, 2, 1}
    assertEquals(1 + 3 / (Math.log(4) + Math.log(2)), WeightSpectra.hillAlpha(new double[] {2, 16, 1, 4, 8}), 1e-12);
    assertEquals(Double.NaN, WeightSpectra.hillAlpha(new double[] {3, 3, 3}));
  }

  private static void assertArrayEquals(double[] a, double[] b, double tol) {
    assertEquals(a.length, b.length);
    for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], tol, "entry " + i);
  }
}
