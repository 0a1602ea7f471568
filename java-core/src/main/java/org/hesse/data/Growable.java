package org.hesse.data;

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

  /** The next capacity after {@code length}, refused (naming {@code what}) beyond one array or the budget. */
  private static int grow(int length, int elementBytes, String what) {
    long next = Math.min(2L * length, Inputs.MAX_ARRAY);
    if (next <= length) {
      throw new org.hesse.io.InputException(what + ": more than " + Inputs.MAX_ARRAY
          + " values, more than one Java array holds");
    }
    Inputs.checkBudget(what, next * elementBytes, "growing the buffer to " + next + " values");
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
