package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.Transpose;
import org.hesse.precision.Float32Twin;

/** Second-order rules of {@link Transpose}: a fixed permutation, applied to tangents as to values. */
public final class TransposeSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Transpose.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    if (dxs[0] == null) Arrays.fill(dz, 0, node.batch * k * node.layer.outputSize(), 0.0);
    else ((Transpose) node.layer).gather(dxs[0], dz, node.batch * k);
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    if (dgIns[0] != null) ((Transpose) node.layer).scatter(dg, dgIns[0], node.batch * k);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    if (dxs[0] == null)
      Arrays.fill(dz, 0, node.batch * k * node.layer.outputSize(), 0.0f);
    else
      ((Transpose) node.layer).gather(dxs[0], dz, node.batch * k);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    if (dgIns[0] != null)
      ((Transpose) node.layer).scatter(dg, dgIns[0], node.batch * k);
  }
  // ---- end of generated float32 twins ----
}
