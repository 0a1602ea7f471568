package org.hesse.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.LayerPoint;
import org.junit.jupiter.api.Test;

/** The run features against their definitions, computed by hand from the checkpoint numbers. */
class RunFeaturesTest {
  static LayerPoint layer(String name, int params, double lambdaMax, double trace, double erank, double negMass) {
    return new LayerPoint(name, "dense", params, trace, lambdaMax, -0.1, erank, 50, 0.2, negMass, 0.3, "slq", null, null, null);
  }

  @Test
  void featuresFollowTheirDefinitions() {
    List<Checkpoint> cps = new ArrayList<>();
    // epochs 0, 10, 20; four layers: positions first (0), middle (⌊3/2⌋ = 1), last (3); layer 2 has none
    for (int i = 0; i < 3; i++) {
      double s = i + 1;
      cps.add(new Checkpoint(10 * i, 2.0 / s, 2.5, 0.3 * s, 0.25 * s, List.of(layer("a", 40, s, 8 * s, 4, 0.05 * s),
          layer("b", 20, 2 * s, 5, 10 / s, 0.1), layer("c", 10, 1, 1, 1, 0), layer("d", 9, 3 * s * s, 6, 3, 0.01))));
    }
    List<RunFeatures.Feature> f = RunFeatures.of(cps);
    assertEquals(3.0, RunFeatures.value(f, "hessian.first.lambda_max.final"), 0);
    assertEquals(2.0, RunFeatures.value(f, "hessian.first.lambda_max.early"), 0);           // epoch 10, not 0
    assertEquals(24.0 / 16, RunFeatures.value(f, "hessian.first.trace.trend"), 1e-15);
    assertEquals(27.0 / 12, RunFeatures.value(f, "hessian.last.lambda_max.trend"), 1e-15); // 3·3² / 3·2²
    assertEquals((10.0 / 3) / 20, RunFeatures.value(f, "hessian.middle.effective_rank_fraction.final"), 1e-15);
    assertEquals(6.0 / (5.0 / 20), RunFeatures.value(f, "hessian.middle.outlier_ratio.final"), 1e-15);
    assertEquals(0.15, RunFeatures.value(f, "hessian.first.negative_mass.final"), 1e-15);
    assertEquals((2.0 / 3) / 2.0, RunFeatures.value(f, "curves.run.train_loss_ratio.final"), 1e-15);
    assertEquals(0.9, RunFeatures.value(f, "curves.run.train_accuracy.final"), 1e-15);
    assertTrue(f.stream().noneMatch(x -> x.name().contains(".c.")), "layer 2 of 4 has no position");
    assertEquals("middle", RunFeatures.position(1, 4));
    assertEquals(null, RunFeatures.position(2, 4));
    assertEquals(3, RunFeatures.index("last", 4));
    // two checkpoints: the early one is the last's predecessor only if its epoch > 0: here none, so NaN
    List<RunFeatures.Feature> two = RunFeatures.of(cps.subList(0, 2).stream().map(c -> c).toList().subList(0, 1));
    assertTrue(Double.isNaN(RunFeatures.value(two, "hessian.first.lambda_max.early")));
  }
}
