package org.hesse.eigen;

/**
 * How many bytes a dense computation may allocate, checked before anything is allocated. The default is
 * {@link #DEFAULT_SHARE} of {@code Runtime.maxMemory()}; change it with {@link #setDefault(long)}.
 */
public final class MemoryBudget {
  /** Share of the maximum heap a single dense computation may take by default. */
  public static final double DEFAULT_SHARE = 0.5;

  private static volatile long defaultBytes = -1;

  private MemoryBudget() {}

  /** The current default budget in bytes. */
  public static long defaultBytes() {
    long b = defaultBytes;
    return b > 0 ? b : (long) (DEFAULT_SHARE * Runtime.getRuntime().maxMemory());
  }

  /** Sets the default budget; a value <= 0 restores the heap share. */
  public static void setDefault(long bytes) {
    defaultBytes = bytes;
  }

  /** Throws {@link MemoryBudgetExceededException} when {@code bytes > budget}. */
  static void check(String what, long bytes, long budget) {
    if (bytes < 0 || bytes > budget) {
      throw new MemoryBudgetExceededException(what, bytes < 0 ? Long.MAX_VALUE : bytes, budget);
    }
  }

  /** 8·a·b (+8·c) with overflow saturating to Long.MAX_VALUE. */
  static long doubles(long... counts) {
    long total = 0;
    for (long c : counts) {
      long b;
      try {
        b = Math.multiplyExact(8L, c);
        total = Math.addExact(total, b);
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
