package org.hesse.hvp.graph;

import org.hesse.hvp.rules.Primal;
import org.hesse.hvp.rules.Scratch;
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.View;
import org.hesse.nn.Layer;

/**
 * Second-order rules of the test-only {@link Scale}, registered from the test resources
 * (META-INF/services/org.hesse.hvp.rules.SecondOrderRule):
 * <pre>
 *   dz      = w ⊙ dx + v ⊙ x
 *   dg_x    = w ⊙ dg [+ v ⊙ g]          (residual terms in brackets: skipped for the GGN)
 *   (Hv)_w += Σ_n dg ⊙ x [+ g ⊙ dx]
 * </pre>
 */
public final class ScaleSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return Scale.class;
  }

  @Override
  public void jvp(Primal p, double[][] dxs, View v, double[] dz, int k, Scratch s) {
    int d = p.layer.inputSize();
    double[] x = p.x();
    double[] dx = dxs[0];
    for (int n = 0; n < p.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * d;
        for (int i = 0; i < d; i++) {
          double t = dx == null ? 0 : p.theta[p.off + i] * dx[r + i];
          if (v != null) t += v.array()[v.offset() + j * v.stride() + i] * x[n * d + i];
          dz[r + i] = t;
        }
      }
    }
  }

  @Override
  public void vjpTangent(Primal p, double[] dg, double[][] dgIns, View hv, int k, Scratch s) {
    int d = p.layer.inputSize();
    double[] x = p.x();
    for (int n = 0; n < p.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * d;
        for (int i = 0; i < d; i++) {
          if (dgIns[0] != null) dgIns[0][r + i] = p.theta[p.off + i] * dg[r + i];
          if (hv != null) hv.array()[hv.offset() + j * hv.stride() + i] += dg[r + i] * x[n * d + i];
        }
      }
    }
  }

  @Override
  public void residualTerms(Primal p, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch s) {
    int d = p.layer.inputSize();
    double[] dx = dxs[0];
    for (int n = 0; n < p.batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * d;
        for (int i = 0; i < d; i++) {
          if (dgIns[0] != null && v != null) dgIns[0][r + i] += v.array()[v.offset() + j * v.stride() + i] * p.g[n * d + i];
          if (hv != null && dx != null) hv.array()[hv.offset() + j * hv.stride() + i] += p.g[n * d + i] * dx[r + i];
        }
      }
    }
  }
}
