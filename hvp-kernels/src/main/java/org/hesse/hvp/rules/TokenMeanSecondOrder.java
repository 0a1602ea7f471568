package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.TokenMean;
import org.hesse.precision.Float32Twin;

/** Second-order rules of {@link TokenMean}: linear and parameter-free. */
public final class TokenMeanSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return TokenMean.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    if (dxs[0] == null) Arrays.fill(dz, 0, node.batch * k * node.layer.outputSize(), 0.0);
    else ((TokenMean) node.layer).mean(dxs[0], dz, node.batch * k);
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    if (dgIns[0] != null) ((TokenMean) node.layer).spread(dg, dgIns[0], node.batch * k);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    if (dxs[0] == null)
      Arrays.fill(dz, 0, node.batch * k * node.layer.outputSize(), 0.0f);
    else
      ((TokenMean) node.layer).mean(dxs[0], dz, node.batch * k);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    if (dgIns[0] != null)
      ((TokenMean) node.layer).spread(dg, dgIns[0], node.batch * k);
  }
  // ---- end of generated float32 twins ----
}
