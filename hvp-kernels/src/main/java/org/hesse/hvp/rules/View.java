package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;

/**
 * k parameter blocks of one node read or written where they are: direction j's block starts at
 * {@code offset + j·stride} of {@code array}, in the node's own layout (its tensors as in θ, weights then bias). k
 * full-length vectors back to back are passed as they are, with the node's offset and the vector length as stride.
 * A null view means zero (a direction) or not wanted (a product).
 */
@Float32Twin
public record View(double[] array, int offset, int stride) {
  /** The view of the block {@code inner} values further in (an inner tensor, a sub-block). */
  public View shift(int inner) {
    return new View(array, offset + inner, stride);
  }
}
