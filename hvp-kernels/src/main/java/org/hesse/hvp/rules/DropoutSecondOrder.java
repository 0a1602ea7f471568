package org.hesse.hvp.rules;

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

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dgIn = dgIns[0];
    if (dgIn != null) System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }
}
