package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Flatten;
import org.hesse.nn.Layer;

/** Second-order rules of {@link Flatten}: the identity on memory, so tangents are copied through unchanged. */
public final class FlattenSecondOrder implements SecondOrderRule {
  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, int vOff, int vStride, double[] dz, int batch, int k) {
    int len = batch * k * layer.outputSize();
    if (dx == null) Arrays.fill(dz, 0, len, 0.0);
    else System.arraycopy(dx, 0, dz, 0, len);
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v, int vOff, int vStride,
                              double[] dgIn, double[] hv, int hvOff, int hvStride, boolean gaussNewton, int batch, int k) {
    if (dgIn != null) System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }
}
