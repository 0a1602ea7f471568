package org.hesse.hvp.rules;

import org.hesse.nn.Concat;
import org.hesse.nn.Layer;
import org.hesse.precision.Float32Twin;

/** Second-order rules of {@link Concat}: linear and parameter-free, tangents are concatenated and split. */
public final class ConcatSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Concat.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    ((Concat) node.layer).join(dxs, dz, node.batch * k);
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    ((Concat) node.layer).split(dg, dgIns, node.batch * k);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    ((Concat) node.layer).join(dxs, dz, node.batch * k);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    ((Concat) node.layer).split(dg, dgIns, node.batch * k);
  }
  // ---- end of generated float32 twins ----
}
