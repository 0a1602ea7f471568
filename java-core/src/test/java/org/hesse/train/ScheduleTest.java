package org.hesse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Schedules against values worked out by hand. */
class ScheduleTest {
  @Test
  void constant() {
    Schedule s = Schedule.constant(0.3);
    assertEquals(0.3, s.lr(0, 0, 10), 0.0);
    assertEquals(0.3, s.lr(57, 9, 10), 0.0);
  }

  @Test
  void stepDecay() {
    // StepLR(step_size=3, gamma=0.5) from 0.1: epochs 0–2 → 0.1, 3–5 → 0.05, 6 → 0.025
    Schedule s = Schedule.step(0.1, 0.5, 3);
    double[] want = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025};
    for (int e = 0; e < want.length; e++) assertEquals(want[e], s.lr(e, 4, 5), 1e-17, "epoch " + e);
  }

  @Test
  void cosineToZeroAndToMin() {
    // T = 4 from 1: (1 + cos(πe/4))/2 = 1, (1 + √2/2)/2, 1/2, (1 − √2/2)/2, then 0
    Schedule s = Schedule.cosine(1.0, 0.0, 4);
    double r = Math.sqrt(2) / 2;
    double[] want = {1.0, (1 + r) / 2, 0.5, (1 - r) / 2, 0.0, 0.0};
    for (int e = 0; e < want.length; e++) assertEquals(want[e], s.lr(e, 0, 7), 1e-15, "epoch " + e);
    // with a floor of 0.1 the midpoint is (1 + 0.1)/2
    Schedule m = Schedule.cosine(1.0, 0.1, 4);
    assertEquals(0.55, m.lr(2, 0, 7), 1e-15);
    assertEquals(0.1, m.lr(4, 0, 7), 0.0);
  }

  @Test
  void badArguments() {
    assertThrows(IllegalArgumentException.class, () -> Schedule.constant(-1));
    assertThrows(IllegalArgumentException.class, () -> Schedule.step(0.1, 0.0, 3));
    assertThrows(IllegalArgumentException.class, () -> Schedule.step(0.1, 0.5, 0));
    assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0.1, 0.2, 3));
    assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0.1, 0.0, 0));
  }
}
