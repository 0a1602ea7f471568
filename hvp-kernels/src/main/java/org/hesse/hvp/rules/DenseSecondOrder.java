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
 * For k directions, dx Wᵀ, x [V_1..V_k]ᵀ, dg W and [dg_1..dg_k]ᵀ x are single GEMMs (the stacked layout
 * puts V_1..V_k one under the other); the two g-terms take one GEMM per direction.
 */
public final class DenseSecondOrder implements SecondOrderRule {
  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, double[] dz, int batch, int k) {
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    if (v != null) {
      // row n of dz (as batch × k·out) = [V_1 x_n + b_1, ..., V_k x_n + b_k]
      int bOff = k * d.biasOffset();
      for (int n = 0; n < batch; n++) System.arraycopy(v, bOff, dz, n * k * out, k * out);
      Gemm.gemm(false, true, batch, k * out, in, 1.0, x, 0, v, 0, 1.0, dz, 0);
    }
    if (dx != null) {
      Gemm.gemm(false, true, batch * k, out, in, 1.0, dx, 0, theta, off, v != null ? 1.0 : 0.0, dz, 0);
    } else if (v == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0);
    }
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v,
                              double[] dgIn, double[] hv, boolean gaussNewton, int batch, int k) {
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    int wSize = out * in;
    if (hv != null) {
      // [dg_1..dg_k]ᵀ x: dg as batch × (k·out) transposed gives the stacked k·out × in block at once.
      Gemm.gemm(true, false, k * out, in, batch, 1.0, dg, 0, x, 0, 1.0, hv, 0);
      if (!gaussNewton && dx != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(true, false, out, in, batch, 1.0, g, 0, out, dx, j * in, k * in, 1.0, hv, j * wSize, in);
        }
      }
      Dense.addColumnSums(dg, batch, k * out, hv, k * wSize);
    }
    if (dgIn != null) {
      Gemm.gemm(false, false, batch * k, in, out, 1.0, dg, 0, theta, off, 0.0, dgIn, 0);
      if (!gaussNewton && v != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(false, false, batch, in, out, 1.0, g, 0, out, v, j * wSize, in, 1.0, dgIn, j * in, k * in);
        }
      }
    }
  }
}
