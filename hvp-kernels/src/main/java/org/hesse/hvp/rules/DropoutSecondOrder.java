package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import org.hesse.nn.Layer;

/**
 * Second-order rules of dropout: the identity, since curvature runs in ANALYSIS or EVAL mode, where dropout is
 * off (the engine runs TRAIN as ANALYSIS, so no random mask ever enters a Hessian):
 * {@code dz = dx}, {@code dgx = dg}, no parameters.
 */
public final class DropoutSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.Dropout.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dx = dxs[0];
    int len = batch * k * layer.inputSize();
    if (dx == null) {
      java.util.Arrays.fill(dz, 0, len, 0.0);
    } else {
      System.arraycopy(dx, 0, dz, 0, len);
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dgIn = dgIns[0];
    if (dgIn != null) System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    float[] dx = dxs[0];
    int len = batch * k * layer.inputSize();
    if (dx == null) {
      java.util.Arrays.fill(dz, 0, len, 0.0f);
    } else {
      System.arraycopy(dx, 0, dz, 0, len);
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    float[] dgIn = dgIns[0];
    if (dgIn != null)
      System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }
  // ---- end of generated float32 twins ----
}
