package org.hesse.hvp.rules;

import org.hesse.nn.Layer;
import org.hesse.nn.Positional;
import org.hesse.precision.Float32Twin;

/**
 * Second-order rules of {@link Positional}, {@code z = x + W}: affine in (x, W) jointly, so no term carries g.
 * <pre>
 *   dz      = dx + V
 *   dg_x    = dg
 *   (Hv)_W += Σ_n dg_n
 * </pre>
 */
public final class PositionalSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Positional.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    double[] dx = dxs[0];
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int vj = v == null ? 0 : v.offset() + j * v.stride();
        for (int i = 0; i < w; i++) dz[r + i] = (dx == null ? 0 : dx[r + i]) + (v == null ? 0 : v.array()[vj + i]);
      }
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    if (dgIns[0] != null) System.arraycopy(dg, 0, dgIns[0], 0, node.batch * k * w);
    if (hv == null) return;
    double[] h = hv.array();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int o = hv.offset() + j * hv.stride();
        for (int i = 0; i < w; i++) h[o + i] += dg[r + i];
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    int w = node.layer.outputSize();
    float[] dx = dxs[0];
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int vj = v == null ? 0 : v.offset() + j * v.stride();
        for (int i = 0; i < w; i++) dz[r + i] = (float) ((dx == null ? 0 : dx[r + i]) + (v == null ? 0 : v.array()[vj + i]));
      }
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    int w = node.layer.outputSize();
    if (dgIns[0] != null)
      System.arraycopy(dg, 0, dgIns[0], 0, node.batch * k * w);
    if (hv == null)
      return;
    float[] h = hv.array();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int o = hv.offset() + j * hv.stride();
        for (int i = 0; i < w; i++) h[o + i] += dg[r + i];
      }
    }
  }
  // ---- end of generated float32 twins ----
}
