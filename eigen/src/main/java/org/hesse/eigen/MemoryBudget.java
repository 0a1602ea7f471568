package org.hesse.eigen;

import org.hesse.runtime.MemoryBudgetExceededException;

/**
 * Byte arithmetic for the memory checks of the dense and Lanczos routines. The budget itself is the
 * process-wide {@link org.hesse.runtime.MemoryBudget} (half the max heap by default, {@code -Dhesse.memory.budget});
 * routines take it as an explicit argument where a caller may want another.
 */
final class MemoryBudget {
  private MemoryBudget() {}

  /** The process-wide budget in bytes. */
  static long defaultBytes() {
    return org.hesse.runtime.MemoryBudget.current().bytes();
  }

  /** Throws {@link MemoryBudgetExceededException} (an IllegalArgumentException) when {@code bytes > budget}. */
  static void check(String what, long bytes, long budget) {
    if (bytes < 0 || bytes > budget) {
      throw new MemoryBudgetExceededException(what, bytes < 0 ? Long.MAX_VALUE : bytes, budget);
    }
  }

  /** 8·(sum of counts) with overflow saturating to Long.MAX_VALUE. */
  static long doubles(long... counts) {
    long total = 0;
    for (long c : counts) {
      try {
        total = Math.addExact(total, Math.multiplyExact(8L, c));
      } catch (ArithmeticException e) {
        return Long.MAX_VALUE;
      }
    }
    return total;
  }

  static long mul(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 8;
    }
  }
}
