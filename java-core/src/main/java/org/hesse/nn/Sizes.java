package org.hesse.nn;

import java.util.Arrays;

/**
 * Overflow-safe sizes for the layers and the network: products and sums in long arithmetic, refused beyond what
 * one Java array holds, so that a huge width fails with a message instead of a negative array size.
 */
public final class Sizes {
  private Sizes() {}

  /** Largest array Java allocates reliably. */
  public static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** The product of {@code dims} (each &ge; 0), refused when it exceeds {@link #MAX_ARRAY}; what names it. */
  public static int product(int[] dims, String what) {
    long n = 1;
    for (int d : dims) {
      if (d < 0) throw new IllegalArgumentException(what + ": negative size in " + Arrays.toString(dims));
      n *= d;
      if (n > MAX_ARRAY) throw tooMany(what, "more than " + MAX_ARRAY);
    }
    return (int) n;
  }

  /** {@code a + b} for counts, refused beyond {@link #MAX_ARRAY}. */
  public static int sum(long a, long b, String what) {
    long n = a + b;
    if (n > MAX_ARRAY) throw tooMany(what, Long.toString(n));
    return (int) n;
  }

  /** {@code a · b} for counts, refused beyond {@link #MAX_ARRAY}. */
  public static int times(long a, long b, String what) {
    long n = a * b; // both < 2^31: no long overflow
    if (n > MAX_ARRAY) throw tooMany(what, Long.toString(n));
    return (int) n;
  }

  private static IllegalArgumentException tooMany(String what, String count) {
    return new IllegalArgumentException(what + ": " + count + " values, more than one Java array holds ("
        + MAX_ARRAY + "); expected a smaller size");
  }
}
