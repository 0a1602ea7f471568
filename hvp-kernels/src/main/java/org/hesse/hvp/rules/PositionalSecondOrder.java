package org.hesse.hvp.rules;

import org.hesse.nn.Layer;
import org.hesse.nn.Positional;

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

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    if (dgIns[0] != null) System.arraycopy(dg, 0, dgIns[0], 0, node.batch * k * w);
    if (hv == null) return;
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int h = hv.offset() + j * hv.stride();
        for (int i = 0; i < w; i++) hv.array()[h + i] += dg[r + i];
      }
    }
  }
}
