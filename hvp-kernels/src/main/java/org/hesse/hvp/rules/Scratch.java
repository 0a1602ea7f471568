package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;

/**
 * Scratch arrays a rule may use during one call, owned by the operator that runs the pass (one per operator, so
 * one per thread): grown on demand, never shrunk, no state kept between calls.
 */
@Float32Twin
public final class Scratch {
  private double[][] slots = new double[4][];

  /** Array number {@code slot} with at least {@code length} values (contents undefined). */
  public double[] get(int slot, int length) {
    if (slot >= slots.length) slots = java.util.Arrays.copyOf(slots, slot + 1);
    if (slots[slot] == null || slots[slot].length < length) slots[slot] = new double[length];
    return slots[slot];
  }
}
