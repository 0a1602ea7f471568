package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.linalg.Gemm;
import org.hesse.nn.Dense;
import org.hesse.nn.Layer;

/**
 * Second-order rules of {@code z = x Wᵀ + b} (rows are samples; V, v_b the direction on W, b):
 * <pre>
 *   dz      = dx Wᵀ + x Vᵀ + v_b
 *   dg_x    = dg W  [+ g V]              (residual terms in brackets: skipped for the GGN)
 *   (Hv)_W += dgᵀ x [+ gᵀ dx]
 *   (Hv)_b += Σ_n dg_n
 * </pre>
 * For k directions the tangents are {@code batch × (k·width)} matrices whose column block j is direction j, so
 * the terms with W (dx Wᵀ, dg W) are one GEMM over all directions, and each term with V_j or a product block
 * is one GEMM on strided operands, read and written where they are (no copies).
 */
public final class DenseSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.Dense.class;
  }

  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    double[] theta = node.theta;
    int off = node.off;
    double[] x = node.x();
    int batch = node.batch;
    double[] dx = dxs[0];
    double[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    if (v != null) {
      for (int j = 0; j < k; j++) {
        int vj = vOff + j * vStride;
        for (int n = 0; n < batch; n++) System.arraycopy(v, vj + d.biasOffset(), dz, (n * k + j) * out, out);
        Gemm.gemm(false, true, batch, out, in, 1.0, x, 0, in, v, vj, in, 1.0, dz, j * out, k * out);
      }
    }
    if (dx != null) {
      Gemm.gemm(false, true, batch * k, out, in, 1.0, dx, 0, theta, off, v != null ? 1.0 : 0.0, dz, 0);
    } else if (v == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0);
    }
  }

  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inputSize();
    int out = d.outputSize();
    int batch = node.batch;
    if (hv != null) {
      double[] h = hv.array();
      for (int j = 0; j < k; j++) {
        int hj = hv.offset() + j * hv.stride();
        Gemm.gemm(true, false, out, in, batch, 1.0, dg, j * out, k * out, node.x(), 0, in, 1.0, h, hj, in);
        int b = hj + d.biasOffset();
        for (int n = 0; n < batch; n++) {
          int r = (n * k + j) * out;
          for (int c = 0; c < out; c++) h[b + c] += dg[r + c];
        }
      }
    }
    if (dgIns[0] != null) Gemm.gemm(false, false, batch * k, in, out, 1.0, dg, 0, node.theta, node.off, 0.0, dgIns[0], 0);
  }

  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inputSize();
    int out = d.outputSize();
    int batch = node.batch;
    double[] dx = dxs[0];
    if (hv != null && dx != null) {
      for (int j = 0; j < k; j++) {
        Gemm.gemm(true, false, out, in, batch, 1.0, node.g, 0, out, dx, j * in, k * in, 1.0, hv.array(),
            hv.offset() + j * hv.stride(), in);
      }
    }
    if (dgIns[0] != null && v != null) {
      for (int j = 0; j < k; j++) {
        Gemm.gemm(false, false, batch, in, out, 1.0, node.g, 0, out, v.array(), v.offset() + j * v.stride(), in, 1.0,
            dgIns[0], j * in, k * in);
      }
    }
  }
}
