package org.hesse.cli;

/**
 * A result that is not a number: a non-finite loss or eigenvalue at the end of a computation. Reported as a
 * one-line error with exit code {@value HesseCli#EXIT_NUMERICAL}, never as a null in an exit-0 report.
 */
final class NumericalFailure extends RuntimeException {
  NumericalFailure(String message) {
    super(message);
  }

  /** Throws unless v is finite; what names the quantity (e.g. "loss", "layer 2 top eigenvalues"). */
  static void requireFinite(String what, double v) {
    if (!Double.isFinite(v)) throw new NumericalFailure("numerical failure: " + what + " is " + v + " (not finite)");
  }

  static void requireFinite(String what, double[] values) {
    if (values == null) return;
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new NumericalFailure("numerical failure: " + what + "[" + i + "] is " + values[i] + " (not finite)");
      }
    }
  }
}
