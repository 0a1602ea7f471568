package org.hesse.eigen;

/** Which end of the spectrum ARPACK targets (ARPACK's own codes). */
public enum Which {
  /** Largest algebraic. */
  LA,
  /** Smallest algebraic. */
  SA,
  /** Both ends: k/2 from each, one more from the high end when k is odd. */
  BE,
  /** Largest magnitude. */
  LM
}
