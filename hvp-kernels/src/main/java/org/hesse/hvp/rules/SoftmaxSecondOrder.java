package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.Softmax;

/**
 * Second-order rules of {@link Softmax} (per group along the axis, z the output, ⟨·,·⟩ the sum over the group):
 * <pre>
 *   dz   = z ⊙ (dx − ⟨z, dx⟩)
 *   dg_x = z ⊙ (dg − ⟨dg, z⟩)  [+ dz ⊙ (g − ⟨g, z⟩) − z ⟨g, dz⟩]   (residual terms in brackets)
 * </pre>
 */
public final class SoftmaxSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Softmax.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    Softmax sm = (Softmax) node.layer;
    if (dxs[0] == null) Arrays.fill(dz, 0, node.batch * k * sm.outputSize(), 0.0);
    else sm.vjp(node.z, dxs[0], dz, node.batch, k);  // the softmax Jacobian is symmetric: J dx = Jᵀ dx
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    if (dgIns[0] != null) ((Softmax) node.layer).vjp(node.z, dg, dgIns[0], node.batch, k);
  }

  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    double[] dx = dxs[0];
    double[] out = dgIns[0];
    if (dx == null || out == null) return;
    Softmax sm = (Softmax) node.layer;
    int size = sm.outputSize();
    int len = sm.length();
    int st = sm.stride();
    double[] z = node.z;
    double[] g = node.g;
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * size;
        for (int q = 0; q < sm.groups(); q++) {
          int s0 = sm.start(q);
          int zs = n * size + s0;
          double zdx = 0;
          double gz = 0;
          for (int l = 0; l < len; l++) {
            zdx += z[zs + l * st] * dx[r + s0 + l * st];
            gz += g[zs + l * st] * z[zs + l * st];
          }
          double gdz = 0;
          for (int l = 0; l < len; l++) gdz += g[zs + l * st] * z[zs + l * st] * (dx[r + s0 + l * st] - zdx);
          for (int l = 0; l < len; l++) {
            int i = s0 + l * st;
            double dzl = z[n * size + i] * (dx[r + i] - zdx);
            out[r + i] += dzl * (g[n * size + i] - gz) - z[n * size + i] * gdz;
          }
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    Softmax sm = (Softmax) node.layer;
    if (dxs[0] == null)
      Arrays.fill(dz, 0, node.batch * k * sm.outputSize(), 0.0f);
    else
      sm.vjp(node.z, dxs[0], dz, node.batch, k);
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    if (dgIns[0] != null)
      ((Softmax) node.layer).vjp(node.z, dg, dgIns[0], node.batch, k);
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    float[] dx = dxs[0];
    float[] out = dgIns[0];
    if (dx == null || out == null)
      return;
    Softmax sm = (Softmax) node.layer;
    int size = sm.outputSize();
    int len = sm.length();
    int st = sm.stride();
    float[] z = node.z;
    float[] g = node.g;
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * size;
        for (int q = 0; q < sm.groups(); q++) {
          int s0 = sm.start(q);
          int zs = n * size + s0;
          double zdx = 0;
          double gz = 0;
          for (int l = 0; l < len; l++) {
            zdx += z[zs + l * st] * dx[r + s0 + l * st];
            gz += g[zs + l * st] * z[zs + l * st];
          }
          double gdz = 0;
          for (int l = 0; l < len; l++) gdz += g[zs + l * st] * z[zs + l * st] * (dx[r + s0 + l * st] - zdx);
          for (int l = 0; l < len; l++) {
            int i = s0 + l * st;
            double dzl = z[n * size + i] * (dx[r + i] - zdx);
            out[r + i] += dzl * (g[n * size + i] - gz) - z[n * size + i] * gdz;
          }
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
