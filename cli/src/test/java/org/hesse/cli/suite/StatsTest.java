package org.hesse.cli.suite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The study's statistics against independent computations: closed forms and brute force on small inputs. */
class StatsTest {
  /** Average ranks by brute force: 1 + #smaller + (#equal − 1)/2. */
  static double[] midranks(double[] a) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      int less = 0, equal = 0;
      for (double v : a) {
        if (v < a[i]) less++;
        if (v == a[i]) equal++;
      }
      r[i] = 1 + less + (equal - 1) / 2.0;
    }
    return r;
  }

  static double pearson(double[] x, double[] y) {
    double mx = 0, my = 0;
    for (int i = 0; i < x.length; i++) {
      mx += x[i] / x.length;
      my += y[i] / y.length;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / Math.sqrt(sxx * syy);
  }

  @Test
  void spearmanWithoutTiesIsTheClosedForm() {
    // distinct values: ρ = 1 − 6 Σ d² / (n (n² − 1))
    double[] x = {3.1, -2, 7, 0.5, 11, 4.4, -9};
    double[] y = {1, 2, 30, -4, 5, 6.5, 0};
    double[] rx = midranks(x), ry = midranks(y);
    double d2 = 0;
    for (int i = 0; i < x.length; i++) d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
    int n = x.length;
    assertEquals(1 - 6 * d2 / (n * (n * (double) n - 1)), Stats.spearman(x, y), 1e-12);
  }

  @Test
  void spearmanWithTiesIsPearsonOfMidranksAndSkipsNonFinitePairs() {
    SplittableRandom r = new SplittableRandom(5);
    for (int trial = 0; trial < 20; trial++) {
      int n = 5 + r.nextInt(20);
      double[] x = new double[n], y = new double[n];
      for (int i = 0; i < n; i++) {
        x[i] = r.nextInt(6);          // many ties
        y[i] = x[i] + r.nextInt(4);
      }
      assertEquals(pearson(midranks(x), midranks(y)), Stats.spearman(x, y), 1e-12);
    }
    double[] x = {1, 2, Double.NaN, 3, 4};
    double[] y = {2, 1, 5, Double.POSITIVE_INFINITY, 3};
    // the finite pairs are (1,2), (2,1), (4,3)
    assertEquals(pearson(midranks(new double[] {1, 2, 4}), midranks(new double[] {2, 1, 3})), Stats.spearman(x, y), 1e-12);
    assertTrue(Double.isNaN(Stats.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})), "constant side");
  }

  /** AUROC by brute force over all positive × negative pairs, ties ½. */
  static double pairs(double[] s, boolean[] y) {
    double win = 0;
    long n = 0;
    for (int i = 0; i < s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        if (!y[i] || y[j]) continue;
        n++;
        win += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
      }
    }
    return win / n;
  }

  @Test
  void aurocIsTheProbabilityThatAPositiveOutscoresANegative() {
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 30; trial++) {
      int n = 4 + r.nextInt(25);
      double[] s = new double[n];
      boolean[] y = new boolean[n];
      for (int i = 0; i < n; i++) {
        y[i] = i % 2 == 0 || r.nextBoolean();
        s[i] = r.nextInt(5) + (y[i] ? 1 : 0);
      }
      y[1] = false;
      assertEquals(pairs(s, y), Stats.auroc(s, y), 1e-12);
      // the area under the ROC curve (trapezoids; ties make diagonal segments) is the same number
      double[][] roc = Stats.roc(s, y);
      double area = 0;
      for (int k = 1; k < roc.length; k++) area += (roc[k][0] - roc[k - 1][0]) * (roc[k][1] + roc[k - 1][1]) / 2;
      assertEquals(pairs(s, y), area, 1e-12);
      assertEquals(1.0, roc[roc.length - 1][0], 0);
      assertEquals(1.0, roc[roc.length - 1][1], 0);
    }
    assertEquals(1.0, Stats.auroc(new double[] {5, 6, 1, 2}, new boolean[] {true, true, false, false}), 0);
    assertEquals(0.0, Stats.auroc(new double[] {1, 2, 5, 6}, new boolean[] {true, true, false, false}), 0);
    assertTrue(Double.isNaN(Stats.auroc(new double[] {1, 2}, new boolean[] {true, true})), "one class only");
  }

  @Test
  void youdenFindsTheBestThresholdOfABruteForceSearch() {
    SplittableRandom r = new SplittableRandom(3);
    for (int trial = 0; trial < 20; trial++) {
      int n = 6 + r.nextInt(20);
      double[] s = new double[n];
      boolean[] y = new boolean[n];
      for (int i = 0; i < n; i++) {
        y[i] = r.nextBoolean();
        s[i] = r.nextGaussian() + (y[i] ? 0.8 : 0);
      }
      y[0] = true;
      y[1] = false;
      Stats.Threshold t = Stats.youden(s, y);
      assertNotNull(t);
      // brute force: every cut between sorted scores, both directions
      double best = -2;
      for (double a : s) {
        for (int sign : new int[] {1, -1}) {
          double tp = 0, fp = 0, p = 0, q = 0;
          for (int i = 0; i < n; i++) {
            boolean fire = sign * s[i] >= sign * a;
            if (y[i]) { p++; if (fire) tp++; } else { q++; if (fire) fp++; }
          }
          best = Math.max(best, tp / p - fp / q);
        }
      }
      assertEquals(best, t.detectionRate() - t.falseAlarmRate(), 1e-12);
      Stats.Threshold again = Stats.rates(s, y, t.threshold(), t.sign());
      assertEquals(t.detectionRate(), again.detectionRate(), 0);
      assertEquals(t.falseAlarmRate(), again.falseAlarmRate(), 0);
    }
  }

  @Test
  void bootstrapResamplesWholeGroups() {
    // a statistic constant within groups: every resample's mean lies between the smallest and largest group value,
    // and with one group the interval is that value
    String[] g = {"a", "a", "b", "b", "b", "c"};
    double[] v = {1, 1, 4, 4, 4, 10};
    double[] ci = Stats.bootstrap(g, ix -> {
      double s = 0;
      for (int i : ix) s += v[i];
      return s / ix.length;
    }, 400, 1);
    assertTrue(ci[0] >= 1 && ci[1] <= 10 && ci[0] < ci[1], java.util.Arrays.toString(ci));
    double[] one = Stats.bootstrap(new String[] {"a", "a"}, ix -> ix.length == 2 ? 7.0 : Double.NaN, 50, 1);
    assertEquals(7.0, one[0], 0);
    assertEquals(7.0, one[1], 0);
    // the resample sizes are sums of whole groups: a statistic that is NaN unless the draw is a union of groups never
    // sees a partial group (the row count is always one of the group sizes' sums)
    double[] sizes = Stats.bootstrap(g, ix -> {
      int a = 0, b = 0, c = 0;
      for (int i : ix) {
        if (g[i].equals("a")) a++;
        else if (g[i].equals("b")) b++;
        else c++;
      }
      return a % 2 == 0 && b % 3 == 0 ? 1.0 : Double.NaN;
    }, 200, 2);
    assertEquals(1.0, sizes[0], 0);
  }

  @Test
  void quantileInterpolatesLinearly() {
    double[] s = {1, 2, 3, 4, 5};
    assertEquals(1.1, Stats.quantile(s, 0.025), 1e-12);
    assertEquals(4.9, Stats.quantile(s, 0.975), 1e-12);
    assertEquals(3, Stats.quantile(s, 0.5), 0);
  }
}
