package org.hesse.cli.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The logistic regression against its closed form and its optimality condition. */
class LogisticTest {
  static double logit(double p) {
    return Math.log(p / (1 - p));
  }

  @Test
  void oneBinaryFeatureGivesTheLogitsOfTheTwoGroups() {
    // x = 0: 3 of 10 positive; x = 1: 8 of 10 positive. Unpenalised MLE: β0 = logit(0.3), β1 = logit(0.8) − logit(0.3);
    // the ridge 1e-3 · β1² moves the fit by about 2·1e-3·β1 / (Fisher information ≈ 1.4): below 1e-2
    double[][] x = new double[20][];
    boolean[] y = new boolean[20];
    for (int i = 0; i < 20; i++) {
      x[i] = new double[] {i < 10 ? 0 : 1};
      y[i] = i < 10 ? i < 3 : i < 18;
    }
    double[] b = Logistic.fit(x, y);
    assertEquals(logit(0.3), b[0], 1e-2);
    assertEquals(logit(0.8) - logit(0.3), b[1], 1e-2);
  }

  @Test
  void theGradientOfThePenalisedLikelihoodVanishesAtTheFit() {
    SplittableRandom r = new SplittableRandom(2);
    int n = 200;
    double[][] x = new double[n][];
    boolean[] y = new boolean[n];
    for (int i = 0; i < n; i++) {
      x[i] = new double[] {r.nextGaussian(), r.nextDouble()};
      y[i] = r.nextDouble() < Logistic.sigmoid(0.5 + 1.5 * x[i][0] - 2 * x[i][1]);
    }
    double[] b = Logistic.fit(x, y);
    double[] g = new double[3];
    for (int i = 0; i < n; i++) {
      double mu = Logistic.sigmoid(Logistic.score(b, x[i]));
      double[] z = {1, x[i][0], x[i][1]};
      for (int a = 0; a < 3; a++) g[a] += ((y[i] ? 1 : 0) - mu) * z[a];
    }
    g[1] -= 2 * Logistic.RIDGE * b[1];
    g[2] -= 2 * Logistic.RIDGE * b[2];
    for (double v : g) assertEquals(0, v, 1e-8);
  }
}
