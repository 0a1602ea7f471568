package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Loss values against hand-computed PyTorch conventions. */
class LossTest {
  @Test
  void crossEntropyIsMeanOfLogSumExpMinusTargetLogit() {
    double[] z = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
    double[] y = {1, 2};
    double l0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5)) - 2.0;
    double l1 = Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(3)) - 3.0;
    assertEquals((l0 + l1) / 2, CrossEntropy.INSTANCE.sum(z, y, 2, 3) / 2, 1e-15);
  }

  @Test
  void mseAveragesOverAllElements() {
    double[] z = {1, 2, 3, 4};
    double[] y = {0, 0, 0, 1};
    // nn.MSELoss(): (1 + 4 + 9 + 9) / 4
    assertEquals(23.0 / 4, MeanSquaredError.INSTANCE.sum(z, y, 2, 2) / 2, 1e-15);
  }

  @Test
  void outputHessianMatchesHessianVector() {
    double[] z = {0.3, -1.2, 2.0};
    double[] dz = {0.7, 0.1, -0.4};
    for (Loss loss : new Loss[] {CrossEntropy.INSTANCE, MeanSquaredError.INSTANCE}) {
      double[] y = loss == CrossEntropy.INSTANCE ? new double[] {2} : new double[] {1, 0, 0};
      double[] m = new double[9];
      loss.outputHessian(z, y, 0, 3, m);
      double[] hv = new double[3];
      loss.hessianVector(z, y, 1, 3, 1.0, dz, hv);
      for (int i = 0; i < 3; i++) {
        double s = 0;
        for (int j = 0; j < 3; j++) s += m[i * 3 + j] * dz[j];
        assertEquals(s, hv[i], 1e-15, loss.name());
      }
    }
  }

  @Test
  void badClassTargetIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CrossEntropy.INSTANCE.checkTargets(new double[] {0, 3}, 2, 3));
    assertEquals("cross_entropy: target of row 1 is 3.0, expected a class index in 0..2", e.getMessage());
  }
}
