package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.TokenMean;

/** Second-order rules of {@link TokenMean}: linear and parameter-free. */
public final class TokenMeanSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return TokenMean.class;
  }

  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    if (dxs[0] == null) Arrays.fill(dz, 0, node.batch * k * node.layer.outputSize(), 0.0);
    else ((TokenMean) node.layer).mean(dxs[0], dz, node.batch * k);
  }

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    if (dgIns[0] != null) ((TokenMean) node.layer).spread(dg, dgIns[0], node.batch * k);
  }
}
