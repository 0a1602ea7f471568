package org.hesse.eigen;

/** Argument checks shared by the package: each message names the argument, the rule and the value given. */
final class Checks {
  private Checks() {}

  static void length(String name, double[] a, long expected) {
    length(name, a == null ? -1 : a.length, expected);
  }

  static void length(String name, float[] a, long expected) {
    length(name, a == null ? -1 : a.length, expected);
  }

  /** The rule for both element types; {@code length} −1 for a null array. */
  private static void length(String name, int length, long expected) {
    if (length < 0) throw new IllegalArgumentException(name + " must not be null (expected length " + expected + ")");
    if (length < expected) {
      throw new IllegalArgumentException(name + " must have length >= " + expected + ", got " + length);
    }
  }

  static void positive(String name, long v) {
    if (v <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + v);
  }

  static void positive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
  }

  static void nonNegative(String name, double v) {
    if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
  }

  static void notNull(String name, Object o) {
    if (o == null) throw new IllegalArgumentException(name + " must not be null");
  }

  static void operator(LinearOperator op) {
    notNull("op", op);
    if (op.dim() <= 0) throw new IllegalArgumentException("op.dim() must be > 0, got " + op.dim());
  }

  static void symmetricOperator(LinearOperator op) {
    operator(op);
    if (!op.symmetric()) {
      throw new IllegalArgumentException("op must be symmetric (op.symmetric() returned false) for this method");
    }
  }
}
