package org.hesse.data;

import org.hesse.nn.Sizes;

import java.util.Arrays;
import org.hesse.io.Inputs;

/**
 * Append-only primitive buffers for readers that do not know the row count in advance. Each growth is checked
 * first (one Java array, the memory budget), so a huge file is refused with a message naming it, not an
 * OutOfMemoryError.
 */
final class Growable {
  private Growable() {
  }

  /**
   * The next capacity after {@code length}: doubling, but no further than one Java array and the memory budget
   * allow, so data that fit the budget are never refused for the sake of the doubling; refused (naming
   * {@code what}) when not one more value fits.
   */
  private static int grow(int length, int elementBytes, String what) {
    if (length >= Sizes.MAX_ARRAY) {
      throw new org.hesse.io.InputException(what + ": more than " + Sizes.MAX_ARRAY
          + " values, more than one Java array holds");
    }
    long byBudget = org.hesse.runtime.MemoryBudget.current().bytes() / elementBytes;
    long next = Math.max(length + 1L, Math.min(Math.min(2L * length, Sizes.MAX_ARRAY), byBudget));
    Inputs.checkBudget(what, next * elementBytes, "growing the buffer to " + next + " values"); // refuses length + 1 beyond the budget
    return (int) next;
  }

  static final class Doubles {
    private final String what;
    private double[] a = new double[1024];
    private int size;

    /** {@code what} names the input and the content for messages ("CSV x.csv: the features"). */
    Doubles(String what) {
      this.what = what;
    }

    void add(double v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, grow(a.length, Double.BYTES, what));
      }
      a[size++] = v;
    }

    int size() {
      return size;
    }

    double[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }

  static final class Ints {
    private final String what;
    private int[] a = new int[256];
    private int size;

    Ints(String what) {
      this.what = what;
    }

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, grow(a.length, Integer.BYTES, what));
      }
      a[size++] = v;
    }

    int size() {
      return size;
    }

    int get(int i) {
      return a[i];
    }

    int[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }
}
