package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Flatten;
import org.hesse.nn.Layer;

/** Second-order rules of {@link Flatten}: the identity on memory, so tangents are copied through unchanged. */
public final class FlattenSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.Flatten.class;
  }

  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dx = dxs[0];
    int len = batch * k * layer.outputSize();
    if (dx == null) Arrays.fill(dz, 0, len, 0.0);
    else System.arraycopy(dx, 0, dz, 0, len);
  }

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Layer layer = node.layer;
    int batch = node.batch;
    double[] dgIn = dgIns[0];
    if (dgIn != null) System.arraycopy(dg, 0, dgIn, 0, batch * k * layer.inputSize());
  }
}
