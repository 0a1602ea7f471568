package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.Finding;
import org.hesse.cli.report.RunData.LayerPoint;
import org.junit.jupiter.api.Test;

/**
 * Each rule on hand-made runs built to sit just inside and just outside its thresholds (the thresholds are read
 * from the constants, so the cases follow them).
 */
class DiagnosticsTest {
  static LayerPoint layer(String name, int params, double lambdaMax, double trace, double erank, double negMass, double zeroFraction) {
    return new LayerPoint(name, "dense", params, trace, lambdaMax, -0.01, erank, 100, 0.1, negMass, zeroFraction, "slq",
        new double[] {lambdaMax}, null, null);
  }

  /** Two layers "0" (early) and "2" (late); the late layer's λ_max follows {@code late}, val loss follows {@code val}. */
  static List<Checkpoint> run(double[] train, double[] val, double[] late, double[] negMass) {
    List<Checkpoint> cps = new ArrayList<>();
    for (int i = 0; i < train.length; i++) {
      cps.add(new Checkpoint(5 * i, train[i], val[i], Double.NaN, Double.NaN, List.of(
          layer("0", 100, 1.0, 5.0, 20, 0.0, 0.2),
          layer("2", 30, late[i], 3 * late[i], 10, negMass[i], 0.2))));
    }
    return cps;
  }

  static List<String> rules(List<Finding> f, String layer) {
    List<String> r = new ArrayList<>();
    for (Finding x : f) if (x.layer().equals(layer)) r.add(x.rule());
    return r;
  }

  static final double[] NO_NEG = {0, 0, 0, 0};

  @Test
  void sharpeningWithRisingValidationLossFiresOnlyOnLateLayersAndOnlyWhenBothHold() {
    double up = 1 + Diagnostics.SHARPENING_RISE;
    double[] train = {1.0, 0.5, 0.3, 0.2};
    double[] valUp = {1.0, 0.4, 0.45, 0.4 * (1 + Diagnostics.VAL_LOSS_RISE) * 1.01};
    double[] sharp = {1.0, 1.0, 1.0, up * 1.01};
    List<Finding> f = Diagnostics.evaluate(run(train, valUp, sharp, NO_NEG), 1000);
    assertEquals(List.of(Diagnostics.SHARPENING), rules(f, "2"), f.toString());
    assertTrue(rules(f, "0").isEmpty(), "the early layer is not judged by rule 1");
    assertTrue(f.get(0).evidence().contains("λ_max"), f.get(0).evidence());
    // Sharpening alone (validation loss still falling) is not overfitting.
    double[] valDown = {1.0, 0.4, 0.35, 0.3};
    assertTrue(rules(Diagnostics.evaluate(run(train, valDown, sharp, NO_NEG), 1000), "2").isEmpty());
    // Rising validation loss with a spectrum rising by less than the threshold: no finding.
    // (trace = 3 λ_max here, so it rises by the same factor and does not fire either.)
    double[] slight = {1.0, 1.0, 1.0, up * 0.99};
    assertTrue(rules(Diagnostics.evaluate(run(train, valUp, slight, NO_NEG), 1000), "2").isEmpty());
  }

  /** Two checkpoints of one layer: training loss 1 → {@code lastLoss}, the layer as given at both. */
  static List<Checkpoint> fit(double lastLoss, LayerPoint l) {
    return List.of(new Checkpoint(0, 1.0, 1.0, Double.NaN, Double.NaN, List.of(l)),
        new Checkpoint(5, lastLoss, lastLoss, Double.NaN, Double.NaN, List.of(l)));
  }

  @Test
  void deadOrRedundantComparesWithTheRankBoundWhenTheFitIsPoor() {
    double poor = 2 * Diagnostics.HIGH_LOSS_FRACTION;   // the loss fell to half: still a poor fit
    // 100 params, zero fraction 0.99 -> 1 non-zero eigenvalue; bound min(100, 40) = 40: 1 < 0.05 * 40 = 2 fires.
    LayerPoint dead = layer("0", 100, 1, 1, 5, 0, 0.99);
    List<Finding> f = Diagnostics.evaluate(fit(poor, dead), 40);
    assertEquals(List.of(Diagnostics.DEAD), rules(f, "0"));
    assertTrue(f.get(0).evidence().contains("0.500 × its first value"), f.get(0).evidence());
    // Zero fraction 0.9 -> 10 non-zero, above 2: healthy unless the effective rank is tiny.
    assertTrue(rules(Diagnostics.evaluate(fit(poor, layer("0", 100, 1, 1, 5, 0, 0.9)), 40), "0").isEmpty());
    double lowErank = 0.5 * Diagnostics.REDUNDANT_FRACTION * 40;
    assertEquals(List.of(Diagnostics.DEAD), rules(Diagnostics.evaluate(fit(poor, layer("0", 100, 1, 1, lowErank, 0, 0.9)), 40), "0"));
    // With a data rank bound of 4 (tiny probe set), one non-zero eigenvalue is not "almost all zero": no finding.
    assertTrue(rules(Diagnostics.evaluate(fit(poor, dead), 4), "0").isEmpty());
    // One checkpoint: the fit cannot be judged, so the rule is not evaluated (and says so).
    List<Checkpoint> one = List.of(new Checkpoint(0, 1, 1, Double.NaN, Double.NaN, List.of(dead)));
    assertTrue(Diagnostics.evaluate(one, 40).isEmpty());
    assertTrue(state(one, Diagnostics.DEAD).startsWith("not evaluated: needs ≥ 2 checkpoints"), state(one, Diagnostics.DEAD));
  }

  /**
   * A well-trained net near interpolation (training loss 1 → 1e-3, accuracy 1, λ_max 0.005, almost all eigenvalues
   * ≈ 0, sizeable relative negative mass): a small Hessian is what such a fit has. Neither dead capacity nor a
   * saddle is reported, and the status says why; the same spectra under a poor fit do fire.
   */
  @Test
  void aWellTrainedRunWithASmallHessianIsNotCalledDeadOrASaddle() {
    double[] train = {2.3, 0.01, 0.003, 0.002};
    double[] lm = {0.5, 0.01, 0.006, 0.005};
    double negMass = 4 * Diagnostics.NEGATIVE_MASS_MIN;
    List<Checkpoint> cps = new ArrayList<>();
    for (int i = 0; i < train.length; i++) {
      List<LayerPoint> ls = new ArrayList<>();
      for (String name : new String[] {"0", "2", "4"}) ls.add(layer(name, 20000, lm[i], 0.1 * lm[i], 30, negMass, 0.999));
      cps.add(new Checkpoint(5 * i, train[i], 0.15, 1.0, 0.975, ls));
    }
    List<Finding> f = Diagnostics.evaluate(cps, 4608);
    assertTrue(f.isEmpty(), f.toString());
    assertTrue(state(cps, Diagnostics.DEAD).startsWith("did not fire") && state(cps, Diagnostics.DEAD).contains("the fit is good"),
        state(cps, Diagnostics.DEAD));
    assertTrue(state(cps, Diagnostics.SADDLE).startsWith("not applied: near interpolation"), state(cps, Diagnostics.SADDLE));
    // The same spectra while the loss is stuck at 60% of its start: dead capacity and the saddle fire on every layer.
    List<Checkpoint> stuck = new ArrayList<>();
    for (int i = 0; i < cps.size(); i++) {
      Checkpoint c = cps.get(i);
      stuck.add(new Checkpoint(c.epoch(), i == 0 ? 2.3 : 0.6 * 2.3, c.valLoss(), 0.3, 0.3, c.layers()));
    }
    List<Finding> g = Diagnostics.evaluate(stuck, 4608);
    for (String name : new String[] {"0", "2", "4"}) {
      assertTrue(rules(g, name).contains(Diagnostics.DEAD) && rules(g, name).contains(Diagnostics.SADDLE), g.toString());
    }
    assertTrue(state(stuck, Diagnostics.DEAD).startsWith("fired on layer(s) 0, 2, 4"), state(stuck, Diagnostics.DEAD));
  }

  static String state(List<Checkpoint> cps, String rule) {
    for (Diagnostics.Status s : Diagnostics.statuses(cps, Diagnostics.evaluate(cps, 4608))) if (s.rule().equals(rule)) return s.state();
    throw new AssertionError("no status for " + rule);
  }

  @Test
  void rulesWithoutTheirEvidenceAreNotEvaluatedAndEveryRuleIsLabelledUncalibrated() {
    double[] train = {1.0, 0.9};
    List<Checkpoint> two = run(train, new double[] {Double.NaN, Double.NaN}, new double[] {1, 1}, new double[] {0, 0});
    assertTrue(state(two, Diagnostics.SHARPENING).startsWith("not evaluated: needs ≥ " + Diagnostics.WINDOW), state(two, Diagnostics.SHARPENING));
    double[] t4 = {1.0, 0.9, 0.8, 0.7};
    double[] nan = {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    assertEquals("not evaluated: no validation loss", state(run(t4, nan, new double[] {1, 1, 1, 1}, NO_NEG), Diagnostics.SHARPENING));
    for (var r : Diagnostics.rules()) assertEquals(Diagnostics.CALIBRATION, r.get("calibration"), r.get("id"));
    assertTrue(Diagnostics.CALIBRATION.contains("uncalibrated") && Diagnostics.CALIBRATION.contains("study"));
  }

  @Test
  void stalledHighLossWithAFlatSmallSpectrumIsUnderParameterisation() {
    double small = 0.5 * Diagnostics.SMALL_LAMBDA_MAX;
    double[] train = {1.0, 0.70, 0.699, 0.698};   // < 1% drop over the window, still 70% of the start
    double[] val = {1.0, 0.7, 0.7, 0.7};
    double[] flat = {small, small, small, small * 1.02};
    List<Finding> f = Diagnostics.evaluate(run(train, val, flat, NO_NEG), 1000);
    assertEquals(List.of(Diagnostics.UNDER), rules(f, "2"), f.toString());
    assertTrue(rules(f, "0").isEmpty(), "layer 0's λ_max of 1 is not small");
    // Still improving: no finding.
    double[] improving = {1.0, 0.7, 0.6, 0.5};
    assertTrue(rules(Diagnostics.evaluate(run(improving, val, flat, NO_NEG), 1000), "2").isEmpty());
    // Stalled near zero loss (a fit, not a failure): no finding.
    double[] converged = {1.0, 0.0101, 0.01005, 0.01004};
    assertTrue(rules(Diagnostics.evaluate(run(converged, val, flat, NO_NEG), 1000), "2").isEmpty());
  }

  @Test
  void negativeMassThatDoesNotShrinkIsASaddle() {
    double m = 2 * Diagnostics.NEGATIVE_MASS_MIN;
    double[] train = {1.0, 0.5, 0.4, 0.3};
    double[] val = {1.0, 0.5, 0.4, 0.3};
    double[] lm = {1, 1, 1, 1};
    List<Finding> f = Diagnostics.evaluate(run(train, val, lm, new double[] {m, m, m, m * 0.95}), 1000);
    assertEquals(List.of(Diagnostics.SADDLE), rules(f, "2"), f.toString());
    double shrunk = m * (1 - Diagnostics.NEGATIVE_SHRINK) * 0.9;
    assertTrue(rules(Diagnostics.evaluate(run(train, val, lm, new double[] {m, m, m, shrunk}), 1000), "2").isEmpty());
  }

  @Test
  void trendRulesNeedAWindowOfCheckpoints() {
    double[] train = {1.0, 0.99};
    List<Finding> f = Diagnostics.evaluate(run(train, new double[] {1, 2}, new double[] {0.01, 0.01}, new double[] {0.5, 0.5}), 1000);
    assertTrue(f.isEmpty(), f.toString());
  }

  @Test
  void zeroFractionCountsWeightedPointsNearZero() {
    // Full spectrum {0, 1e-5, 0.5, 1}: two of four within 1e-3 · max.
    assertEquals(0.5, Diagnostics.zeroFraction(new double[][] {{0, 1e-5, 0.5, 1}}, null), 0.0);
    // SLQ-like: two probes, weights sum to one each; zero-weight shares 0.7 and 0.5 -> mean 0.6.
    double z = Diagnostics.zeroFraction(new double[][] {{0, 2}, {1e-6, 1, 2}}, new double[][] {{0.7, 0.3}, {0.5, 0.25, 0.25}});
    assertEquals(0.6, z, 1e-15);
    assertEquals(1.0, Diagnostics.zeroFraction(new double[][] {{0, 0}}, null), 0.0);
  }
}
