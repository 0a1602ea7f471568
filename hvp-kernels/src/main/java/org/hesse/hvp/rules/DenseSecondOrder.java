package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.linalg.Gemm;
import org.hesse.nn.Dense;
import org.hesse.nn.Layer;

/**
 * Second-order rules of {@code z = x Wᵀ + b} (rows are samples; V, v_b the direction on W, b):
 * <pre>
 *   dz      = dx Wᵀ + x Vᵀ + v_b
 *   dg_x    = dg W + g V                 (GGN: dg W)
 *   (Hv)_W += dgᵀ x + gᵀ dx              (GGN: dgᵀ x)
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
  public void backwardTangent(Primal node, double[] dg, double[][] dxs, View vv, double[][] dgIns, View hvv,
                              boolean gaussNewton, int k, Scratch scratch) {
    Layer layer = node.layer;
    double[] theta = node.theta;
    int off = node.off;
    double[] x = node.x();
    int batch = node.batch;
    double[] g = node.g;
    double[] dx = dxs[0];
    double[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    int hvOff = hvv == null ? 0 : hvv.offset();
    int hvStride = hvv == null ? 0 : hvv.stride();
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    if (hv != null) {
      for (int j = 0; j < k; j++) {
        int h = hvOff + j * hvStride;
        Gemm.gemm(true, false, out, in, batch, 1.0, dg, j * out, k * out, x, 0, in, 1.0, hv, h, in);
        if (!gaussNewton && dx != null) Gemm.gemm(true, false, out, in, batch, 1.0, g, 0, out, dx, j * in, k * in, 1.0, hv, h, in);
        int b = h + d.biasOffset();
        for (int n = 0; n < batch; n++) {
          int r = (n * k + j) * out;
          for (int c = 0; c < out; c++) hv[b + c] += dg[r + c];
        }
      }
    }
    if (dgIn != null) {
      Gemm.gemm(false, false, batch * k, in, out, 1.0, dg, 0, theta, off, 0.0, dgIn, 0);
      if (!gaussNewton && v != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(false, false, batch, in, out, 1.0, g, 0, out, v, vOff + j * vStride, in, 1.0, dgIn, j * in, k * in);
        }
      }
    }
  }
}
