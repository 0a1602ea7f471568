package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
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
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.AvgPool2d.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dx = dxs[0];
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * layer.outputSize(), 0.0);
      return;
    }
    ((AvgPool2d) layer).pool(dx, 0, dz, 0, batch * k);
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dgIn = dgIns[0];
    if (dgIn != null) ((AvgPool2d) layer).spread(dg, 0, dgIn, 0, batch * k);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    float[] dx = dxs[0];
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * layer.outputSize(), 0.0f);
      return;
    }
    ((AvgPool2d) layer).pool(dx, 0, dz, 0, batch * k);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    float[] dgIn = dgIns[0];
    if (dgIn != null)
      ((AvgPool2d) layer).spread(dg, 0, dgIn, 0, batch * k);
  }
  // ---- end of generated float32 twins ----
}
