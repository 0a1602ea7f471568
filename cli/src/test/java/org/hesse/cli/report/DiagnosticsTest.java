package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.Finding;
import org.hesse.cli.report.RunData.LayerPoint;
import org.junit.jupiter.api.Test;

/** The calibrated diagnostics: a rule fires exactly when its feature crosses its fitted threshold, and says its rates. */
class DiagnosticsTest {
  static LayerPoint layer(String name, int params, double lambdaMax, double trace, double erank) {
    return new LayerPoint(name, "dense", params, trace, lambdaMax, -0.01, erank, 100, 0.1, 0.02, 0.5, "slq", new double[] {lambdaMax},
        null, null);
  }

  /** Three checkpoints (0, 10, 20) of a two-layer run; the last layer's λ_max goes 1 → 2 → {@code lastFinal}. */
  static List<Checkpoint> run(double lastFinal, double accuracy) {
    List<Checkpoint> cps = new ArrayList<>();
    double[] lm = {1, 2, lastFinal};
    for (int i = 0; i < 3; i++) {
      cps.add(new Checkpoint(10 * i, 1.0 / (i + 1), 1.2, accuracy, accuracy,
          List.of(layer("0", 100, 0.5, 10, 5), layer("2", 30, lm[i], 3, 4))));
    }
    return cps;
  }

  static Calibration.Rule rule(String id, String feature, int sign, double threshold, boolean supported, boolean classificationOnly) {
    return new Calibration.Rule(id, id + " name", "truth", feature, sign, threshold, 0.8, 0.1, 0.9, 120, supported, classificationOnly, "reading");
  }

  static Calibration cal(Calibration.Rule... rules) {
    return new Calibration("test", 1, 120, 20, "p", List.of(rules), List.of(new Calibration.Unsupported("saddle_region", "Saddle", "no ground truth")));
  }

  @Test
  void aRuleFiresExactlyWhenItsFeatureCrossesTheThreshold() {
    Calibration c = cal(rule("memorisation", "hessian.last.lambda_max.trend", 1, 1.5, true, true));
    // trend = final / early (epoch 10) = 4 / 2 = 2 ≥ 1.5: fires, on the last layer ("2"), with the rule's rates
    List<Finding> f = Diagnostics.evaluate(run(4, 0.9), c);
    assertEquals(1, f.size(), f.toString());
    assertEquals("2", f.get(0).layer());
    assertTrue(f.get(0).evidence().contains("= 2.000") && f.get(0).evidence().contains("detection rate 0.80, false-alarm rate 0.10"),
        f.get(0).evidence());
    // 2.9 / 2 = 1.45 < 1.5: silent, and the status says the value and the rule
    List<Checkpoint> below = run(2.9, 0.9);
    assertEquals(List.of(), Diagnostics.evaluate(below, c));
    String st = Diagnostics.statuses(below, List.of(), c).get(0).state();
    assertTrue(st.startsWith("did not fire") && st.contains("1.450") && st.contains("≥ 1.500"), st);
    // classification only: a regression run (no accuracy) is not evaluated
    assertEquals(List.of(), Diagnostics.evaluate(run(4, Double.NaN), c));
    assertTrue(Diagnostics.statuses(run(4, Double.NaN), List.of(), c).get(0).state().startsWith("not evaluated"));
  }

  @Test
  void aBelowRuleAndARunLevelFeature() {
    // effective rank fraction of the first layer: 5 / 100 = 0.05 ≤ 0.1 fires; ≤ 0.04 does not
    assertEquals(1, Diagnostics.evaluate(run(4, 0.9), cal(rule("under_parameterised", "hessian.first.effective_rank_fraction.final", -1, 0.1, true, false))).size());
    assertEquals(0, Diagnostics.evaluate(run(4, 0.9), cal(rule("under_parameterised", "hessian.first.effective_rank_fraction.final", -1, 0.04, true, false))).size());
    // training loss ratio = (1/3) / 1: a run-level feature, reported on "all"
    List<Finding> f = Diagnostics.evaluate(run(4, 0.9), cal(rule("under_parameterised", "curves.run.train_loss_ratio.final", 1, 0.3, true, false)));
    assertEquals("all", f.get(0).layer());
  }

  @Test
  void anUnsupportedRuleNeverFiresAndSaysWhy() {
    Calibration c = cal(rule("over_parameterised", "hessian.last.lambda_max.trend", 1, 0.0, false, false));
    assertEquals(List.of(), Diagnostics.evaluate(run(4, 0.9), c));
    List<Diagnostics.Status> st = Diagnostics.statuses(run(4, 0.9), List.of(), c);
    assertTrue(st.get(0).state().startsWith("not supported by the study"), st.get(0).state());
    assertEquals("saddle_region", st.get(1).rule());
    assertTrue(st.get(1).state().contains("unsupported by the study (no ground truth)"), st.get(1).state());
    // fewer than two checkpoints: nothing to compare
    assertEquals(List.of(), Diagnostics.evaluate(run(4, 0.9).subList(0, 1), cal(rule("memorisation", "hessian.last.lambda_max.final", 1, 0, true, false))));
  }

  @Test
  void theShippedCalibrationIsConsistent() {
    Calibration c = Calibration.current();
    // the suite's networks have three parametrised layers (first, middle, last)
    List<Checkpoint> three = new ArrayList<>();
    for (Checkpoint x : run(4, 0.9)) {
      List<LayerPoint> ls = new ArrayList<>(x.layers());
      ls.add(1, layer("1", 50, 1, 2, 3));
      three.add(new Checkpoint(x.epoch(), x.trainLoss(), x.valLoss(), x.trainAccuracy(), x.valAccuracy(), ls));
    }
    List<String> names = RunFeatures.of(three).stream().map(RunFeatures.Feature::name).toList();
    for (Calibration.Rule r : c.rules()) {
      if (!r.supported()) continue;
      assertTrue(names.contains(r.feature()), r.id() + ": feature " + r.feature() + " is not one a run computes");
      assertTrue(r.cvDetectionRate() - r.cvFalseAlarmRate() >= Diagnostics.MIN_YOUDEN, r.id() + " marked supported below the bar");
      assertTrue(r.cvRuns() > 0 && Double.isFinite(r.threshold()), r.id());
    }
    List<String> ids = Diagnostics.rules().stream().map(m -> m.get("id")).toList();
    assertTrue(ids.contains("dead_or_redundant") && ids.contains("saddle_region"), ids.toString());
  }

  @Test
  void zeroFractionCountsTheWeightNearZero() {
    // nodes 0, 1e-4, 1 with weights ½, ¼, ¼: |λ| ≤ 1e-3 · 1 holds for the first two
    assertEquals(0.75, Diagnostics.zeroFraction(new double[][] {{0, 1e-4, 1}}, new double[][] {{0.5, 0.25, 0.25}}), 1e-15);
    assertEquals(1.0 / 3, Diagnostics.zeroFraction(new double[][] {{0, 2, -3}}, null), 1e-15);
  }
}
