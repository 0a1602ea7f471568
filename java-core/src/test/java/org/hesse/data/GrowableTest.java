package org.hesse.data;

import static org.junit.jupiter.api.Assertions.*;

import org.hesse.io.InputException;
import org.hesse.runtime.MemoryBudget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The readers' growing buffers take everything the budget holds, not only up to the last power-of-two step. */
class GrowableTest {
  private final MemoryBudget saved = MemoryBudget.current();

  @AfterEach
  void restore() {
    MemoryBudget.install(saved);
  }

  @Test
  void dataBetweenHalfTheBudgetAndTheBudgetFit() {
    MemoryBudget.install(MemoryBudget.of(3000L * Double.BYTES)); // room for 3000 doubles; doubling 1024 -> 2048 -> 4096
    Growable.Doubles d = new Growable.Doubles("test buffer");
    for (int i = 0; i < 3000; i++) d.add(i);
    double[] a = d.toArray();
    assertEquals(3000, a.length);
    for (int i = 0; i < 3000; i++) assertEquals(i, a[i], 0.0);
    InputException e = assertThrows(InputException.class, () -> d.add(3000)); // the 3001st does not fit
    assertTrue(e.getMessage().startsWith("test buffer: "), e.getMessage());
    assertTrue(e.getMessage().contains("budget"), e.getMessage());
  }
}
