package org.hesse.hvp.rules;

import org.hesse.nn.Layer;
import org.hesse.nn.Mul;
import org.hesse.precision.Float32Twin;

/**
 * Second-order rules of {@link Mul}, {@code z = a ⊙ b}:
 * <pre>
 *   dz    = da ⊙ b + a ⊙ db
 *   dg_a  = dg ⊙ b [+ g ⊙ db]      (residual terms in brackets: skipped for the GGN)
 *   dg_b  = dg ⊙ a [+ g ⊙ da]
 * </pre>
 * Per-sample values (a, b, g) at row n, tangents at row n·k + j.
 */
public final class MulSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Mul.class;
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    double[] a = node.xs[0];
    double[] b = node.xs[1];
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int s = n * w;
        for (int i = 0; i < w; i++) {
          double t = 0;
          if (dxs[0] != null) t += dxs[0][r + i] * b[s + i];
          if (dxs[1] != null) t += a[s + i] * dxs[1][r + i];
          dz[r + i] = t;
        }
      }
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    for (int in = 0; in < 2; in++) {
      double[] out = dgIns[in];
      if (out == null) continue;
      double[] other = node.xs[1 - in];
      for (int n = 0; n < node.batch; n++) {
        for (int j = 0; j < k; j++) {
          int r = (n * k + j) * w;
          for (int i = 0; i < w; i++) out[r + i] = dg[r + i] * other[n * w + i];
        }
      }
    }
  }

  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    int w = node.layer.outputSize();
    for (int in = 0; in < 2; in++) {
      double[] out = dgIns[in];
      double[] dOther = dxs[1 - in];
      if (out == null || dOther == null) continue;
      for (int n = 0; n < node.batch; n++) {
        for (int j = 0; j < k; j++) {
          int r = (n * k + j) * w;
          for (int i = 0; i < w; i++) out[r + i] += node.g[n * w + i] * dOther[r + i];
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    int w = node.layer.outputSize();
    float[] a = node.xs[0];
    float[] b = node.xs[1];
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        int s = n * w;
        for (int i = 0; i < w; i++) {
          double t = 0;
          if (dxs[0] != null)
            t += dxs[0][r + i] * b[s + i];
          if (dxs[1] != null)
            t += a[s + i] * dxs[1][r + i];
          dz[r + i] = (float) (t);
        }
      }
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    int w = node.layer.outputSize();
    for (int in = 0; in < 2; in++) {
      float[] out = dgIns[in];
      if (out == null)
        continue;
      float[] other = node.xs[1 - in];
      for (int n = 0; n < node.batch; n++) {
        for (int j = 0; j < k; j++) {
          int r = (n * k + j) * w;
          for (int i = 0; i < w; i++) out[r + i] = (float) (dg[r + i] * other[n * w + i]);
        }
      }
    }
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    int w = node.layer.outputSize();
    for (int in = 0; in < 2; in++) {
      float[] out = dgIns[in];
      float[] dOther = dxs[1 - in];
      if (out == null || dOther == null)
        continue;
      for (int n = 0; n < node.batch; n++) {
        for (int j = 0; j < k; j++) {
          int r = (n * k + j) * w;
          for (int i = 0; i < w; i++) out[r + i] += node.g[n * w + i] * dOther[r + i];
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
