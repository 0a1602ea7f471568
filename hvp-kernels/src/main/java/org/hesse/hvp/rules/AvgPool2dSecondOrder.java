package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.AvgPool2d;
import org.hesse.nn.Layer;

/**
 * Second-order rules of {@link AvgPool2d}: a fixed linear map A without parameters, so
 * {@code dz = A dx} and {@code dg_x = Aᵀ dg} (no term carries g; Hessian and GGN rules coincide).
 * In the direction-minor layout each of the {@code batch·k} rows is one sample's image, so both are single calls.
 */
public final class AvgPool2dSecondOrder implements SecondOrderRule {
  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, int vOff, int vStride, double[] dz, int batch, int k) {
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * layer.outputSize(), 0.0);
      return;
    }
    ((AvgPool2d) layer).pool(dx, 0, dz, 0, batch * k);
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v, int vOff, int vStride,
                              double[] dgIn, double[] hv, int hvOff, int hvStride, boolean gaussNewton, int batch, int k) {
    if (dgIn != null) ((AvgPool2d) layer).spread(dg, 0, dgIn, 0, batch * k);
  }
}
