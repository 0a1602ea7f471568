package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.Reshape;
import org.hesse.precision.Float32Twin;

/** Second-order rules of {@link Reshape}: the identity on the values, so tangents are copied. */
public final class ReshapeSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Reshape.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    int n = node.batch * k * node.layer.outputSize();
    if (dxs[0] == null) Arrays.fill(dz, 0, n, 0.0);
    else System.arraycopy(dxs[0], 0, dz, 0, n);
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    if (dgIns[0] != null) System.arraycopy(dg, 0, dgIns[0], 0, node.batch * k * node.layer.outputSize());
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    int n = node.batch * k * node.layer.outputSize();
    if (dxs[0] == null)
      Arrays.fill(dz, 0, n, 0.0f);
    else
      System.arraycopy(dxs[0], 0, dz, 0, n);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    if (dgIns[0] != null)
      System.arraycopy(dg, 0, dgIns[0], 0, node.batch * k * node.layer.outputSize());
  }
  // ---- end of generated float32 twins ----
}
