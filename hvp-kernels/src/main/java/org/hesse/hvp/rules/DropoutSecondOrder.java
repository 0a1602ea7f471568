package org.hesse.hvp.rules;

import org.hesse.nn.Layer;

/**
 * Second-order rules of dropout: the identity, since curvature runs in ANALYSIS or EVAL mode, where dropout is
 * off (the engine runs TRAIN as ANALYSIS, so no random mask ever enters a Hessian):
 * {@code dz = dx}, {@code dgx = dg}, no parameters.
 */
public final class DropoutSecondOrder implements SecondOrderRule {
  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, int vOff, int vStride, double[] dz, int batch, int k) {
    int len = batch * k * layer.inputSize();
    if (dx == null) {
      java.util.Arrays.fill(dz, 0, len, 0.0);
    } else {
      System.arraycopy(dx, 0, dz, 0, len);
    }
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v, int vOff, int vStride,
                              double[] dgIn, double[] hv, int hvOff, int hvStride, boolean gaussNewton, int batch, int k) {
    if (dgIn != null) System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }
}
