package org.hesse.hvp.rules;

import org.hesse.nn.Concat;
import org.hesse.nn.Layer;

/** Second-order rules of {@link Concat}: linear and parameter-free, tangents are concatenated and split. */
public final class ConcatSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Concat.class;
  }

  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    ((Concat) node.layer).join(dxs, dz, node.batch * k);
  }

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    ((Concat) node.layer).split(dg, dgIns, node.batch * k);
  }
}
