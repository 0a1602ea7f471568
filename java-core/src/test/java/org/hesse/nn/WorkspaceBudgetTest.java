package org.hesse.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.MemoryBudgetExceededException;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * A workspace's memory check counts its activations and signals at its precision's value size: 8 bytes in
 * {@link Workspace}, 4 in the generated {@link Workspace32}, so each fits a budget of exactly its arrays' bytes
 * (counted here from the allocated arrays) and is refused one byte under it.
 */
class WorkspaceBudgetTest {
  @Test
  void eachPrecisionIsCheckedAtItsOwnValueSize() {
    Network net = Nets.mlp(5, 6, 4, 3, Activation.TANH, "cross_entropy");
    int batch = 8;
    long values = 0;  // what the workspace allocates: activations 0..A-1, signals 1..A-1
    Workspace32 probe = net.newWorkspace32(batch);
    for (int a = 0; a <= net.nodeCount(); a++) {
      values += probe.activation(a).length;
      if (a > 0) values += probe.signal(a).length;
    }
    assertEquals(batch * (5 + 2 * (6 + 6 + 4 + 4 + 3)), values, "the arrays of an 8-row batch");
    MemoryBudget saved = MemoryBudget.current();
    try {
      MemoryBudget.install(MemoryBudget.of(4 * values));
      net.newWorkspace32(batch);
      assertThrows(MemoryBudgetExceededException.class, () -> net.newWorkspace(batch), "float64 at the float32 size");
      MemoryBudget.install(MemoryBudget.of(4 * values - 1));
      assertThrows(MemoryBudgetExceededException.class, () -> net.newWorkspace32(batch), "one byte under");
      MemoryBudget.install(MemoryBudget.of(8 * values));
      net.newWorkspace(batch);
      MemoryBudget.install(MemoryBudget.of(8 * values - 1));
      assertThrows(MemoryBudgetExceededException.class, () -> net.newWorkspace(batch), "one byte under");
    } finally {
      MemoryBudget.install(saved);
    }
  }
}
