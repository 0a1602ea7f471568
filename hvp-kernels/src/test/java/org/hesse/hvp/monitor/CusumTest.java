package org.hesse.hvp.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CUSUM detector on synthetic trace series: calibrated false-alarm rate and detection delay. */
class CusumTest {
  static final int WINDOW = 10;
  static final double K = 0.5;
  static final int HORIZON = 50;
  static final double SD = 0.05;  // of the log-trace increments

  /** A trace series exp(cumulative sum of N(drift, SD²) increments), the drift shifting by shift·SD at change. */
  static double[] series(SplittableRandom rng, int increments, int change, double shift) {
    double[] t = new double[increments + 1];
    double ln = Math.log(3.0);
    t[0] = 3.0;
    for (int i = 1; i <= increments; i++) {
      ln += 0.01 + SD * rng.nextGaussian() + (i > change ? shift * SD : 0);
      t[i] = Math.exp(ln);
    }
    return t;
  }

  static double calibratedH(double alpha) {
    SplittableRandom rng = new SplittableRandom(11);
    List<double[]> clean = new ArrayList<>();
    for (int r = 0; r < 40; r++) clean.add(series(rng, WINDOW + HORIZON, Integer.MAX_VALUE, 0));
    return Cusum.calibrate(clean, WINDOW, K, HORIZON, alpha, 4000, 5);
  }

  /**
   * Calibrated to 5 % on 40 clean series, the detector alarms on 2000 independent null series of the same length at
   * a rate within 0.02 of 0.05 (binomial standard error 0.005, plus the calibration's own sampling error).
   */
  @Test
  void falseAlarmRateOnNullSeriesIsCloseToTheCalibratedTarget() {
    double h = calibratedH(0.05);
    Cusum.Settings s = new Cusum.Settings(WINDOW, K, h);
    SplittableRandom rng = new SplittableRandom(99);
    List<double[]> nulls = new ArrayList<>();
    for (int r = 0; r < 2000; r++) nulls.add(series(rng, WINDOW + HORIZON, Integer.MAX_VALUE, 0));
    double rate = Cusum.alarms(nulls, s) / 2000.0;
    assertEquals(0.05, rate, 0.02, "false-alarm rate at h = " + h);
  }

  /**
   * A rise of 2 SD per increment after a known change: every series that has not alarmed before the change alarms
   * after it, with a mean delay (increments after the change, the alarming one included) within 30 % of Siegmund's
   * approximation of the CUSUM's out-of-control run length, (e^{−2Δb} + 2Δb − 1)/(2Δ²), Δ = shift − k,
   * b = h + 1.166 (for known μ, σ; the window's estimates widen the spread, hence the tolerance).
   */
  @Test
  void aKnownChangeIsDetectedWithTheExpectedDelay() {
    double h = calibratedH(0.05);
    Cusum.Settings s = new Cusum.Settings(WINDOW, K, h);
    int change = WINDOW + 20;
    double shift = 2.0;
    SplittableRandom rng = new SplittableRandom(123);
    int early = 0;
    int detected = 0;
    double delaySum = 0;
    int runs = 500;
    for (int r = 0; r < runs; r++) {
      double[] t = series(rng, change + 60, change, shift);
      Cusum c = new Cusum(s);
      int at = -1;
      for (int i = 0; i < t.length && at < 0; i++) if (c.feed(t[i])) at = i;
      if (at >= 0 && at <= change) {
        early++;
      } else if (at > change) {
        detected++;
        delaySum += at - change;
      }
    }
    assertEquals(runs - early, detected, "every series without an early alarm detects the change");
    double delta = shift - K;
    double b = h + 1.166;
    double siegmund = (Math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta * delta);
    double delay = delaySum / detected;
    assertEquals(1.0, delay / siegmund, 0.3, "mean delay " + delay + " vs Siegmund " + siegmund + " at h = " + h);
    assertTrue(early < 0.05 * runs, "early alarms " + early);
  }

  /** The stored calibration loads, with the settings its comment documents. */
  @Test
  void theCalibratedThresholdLoads() {
    CusumThreshold t = CusumThreshold.calibrated();
    assertEquals(new Cusum.Settings(10, 0.5, 20.612730781482554), t.settings());
    assertEquals(0.05, t.alpha());
    assertEquals(100, t.horizon());
    assertTrue(t.method().startsWith("Cusum.calibrate on 24 clean"), t.method());
  }

  @Test
  void nonPositiveTracesAreSkippedAndBadSettingsRefused() {
    Cusum c = new Cusum(new Cusum.Settings(2, 0.5, 1.0));
    for (double t : new double[] {1, 2, 4}) c.feed(t);  // reference: increments ln 2, ln 2... σ floored
    assertTrue(!c.feed(-1) && !c.feed(8) && c.statistic() == 0, "increments touching a negative trace are skipped");
    assertTrue(c.feed(1e6), "a jump far above the reference alarms");
    assertEquals("window: expected >= 2 increments, got 1",
        assertThrows(IllegalArgumentException.class, () -> new Cusum.Settings(1, 0.5, 1)).getMessage());
    assertEquals("h: expected a value > 0, got 0.0",
        assertThrows(IllegalArgumentException.class, () -> new Cusum.Settings(5, 0.5, 0)).getMessage());
  }
}
