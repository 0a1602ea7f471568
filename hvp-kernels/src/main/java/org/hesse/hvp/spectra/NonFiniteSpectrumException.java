package org.hesse.hvp.spectra;

/**
 * An eigenvalue or trace that is not finite at the end of a spectra computation: a numerical failure, reported
 * rather than written as a missing value. The message is one line naming the quantity, e.g.
 * {@code "numerical failure: layer 2 top eigenvalues[0] is NaN (not finite)"}.
 */
public final class NonFiniteSpectrumException extends ArithmeticException {
  /**
   * An exception with the given message.
   *
   * @param message one line naming the quantity and its value
   */
  public NonFiniteSpectrumException(String message) {
    super(message);
  }
}
