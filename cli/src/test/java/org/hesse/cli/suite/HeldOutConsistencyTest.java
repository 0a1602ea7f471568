package org.hesse.cli.suite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The held-out consistency rule of the calibrated diagnostics, on the study's own figures worked out by hand. */
class HeldOutConsistencyTest {
  @Test
  void theStudysRulesAsDocumented() {
    // memorisation: CV false alarm 0.38, held out 0.57 on 42 clean runs: SE = sqrt(.38·.62/42) = 0.0749, 0.19 / 0.0749 = 2.54 > 1.96
    assertTrue(SuiteAnalysis.worseHeldOut(0.38, 0.57, 42, true));
    // its detection 0.74 -> 0.83 on 42 noisy runs is better than estimated: no objection
    assertFalse(SuiteAnalysis.worseHeldOut(0.74, 0.83, 42, false));
    // over-parameterised: detection 0.88 -> 0.79 on 34 runs: SE = sqrt(.88·.12/34) = 0.0557, 0.09 / 0.0557 = 1.6 < 1.96
    assertFalse(SuiteAnalysis.worseHeldOut(0.88, 0.79, 34, false));
    // under-parameterised: false alarm 0.23 -> 0.24 on 68 runs: 0.01 / 0.051 = 0.2
    assertFalse(SuiteAnalysis.worseHeldOut(0.23, 0.24, 68, true));
  }

  @Test
  void theBoundaryIsAt196StandardErrors() {
    double se = Math.sqrt(0.5 * 0.5 / 100);  // 0.05
    assertFalse(SuiteAnalysis.worseHeldOut(0.5, 0.5 + 1.95 * se, 100, true));
    assertTrue(SuiteAnalysis.worseHeldOut(0.5, 0.5 + 1.97 * se, 100, true));
    assertTrue(SuiteAnalysis.worseHeldOut(0.5, 0.5 - 1.97 * se, 100, false));
    assertFalse(SuiteAnalysis.worseHeldOut(0.5, Double.NaN, 100, true), "no held-out figure: no objection");
  }
}
