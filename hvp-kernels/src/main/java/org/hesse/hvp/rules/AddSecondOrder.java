package org.hesse.hvp.rules;

import org.hesse.nn.Add;
import org.hesse.nn.Layer;
import org.hesse.precision.Float32Twin;

/**
 * Second-order rules of {@link Add}, {@code z = Σ_i c_i x_i}: linear and parameter-free, so the tangents go through
 * the same coefficients and no term carries g (H and GGN rules coincide).
 * <pre>
 *   dz     = Σ_i c_i dx_i
 *   dg_x_i = c_i dg
 * </pre>
 */
public final class AddSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Add.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    ((Add) node.layer).combine(dxs, dz, node.batch * k * node.layer.outputSize());
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    ((Add) node.layer).spread(dg, dgIns, node.batch * k * node.layer.outputSize());
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    ((Add) node.layer).combine(dxs, dz, node.batch * k * node.layer.outputSize());
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    ((Add) node.layer).spread(dg, dgIns, node.batch * k * node.layer.outputSize());
  }
  // ---- end of generated float32 twins ----
}
