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
 * For k directions every product is a single GEMM: dx Wᵀ, x [V_1..V_k]ᵀ, dg W and [dg_1..dg_k]ᵀ x directly (the
 * stacked layout puts V_1..V_k one under the other), the two g-terms through a side-by-side copy of the k blocks.
 */
public final class DenseSecondOrder implements SecondOrderRule {
  /** Per-thread scratch for the k-direction g-terms (operators are used one per thread; rules are shared). */
  private static final ThreadLocal<double[]> SCRATCH = ThreadLocal.withInitial(() -> new double[0]);

  private static double[] scratch(int n) {
    double[] a = SCRATCH.get();
    if (a.length < n) {
      a = new double[n];
      SCRATCH.set(a);
    }
    return a;
  }

  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, int vOff, double[] dz, int batch, int k) {
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    if (v != null) {
      // row n of dz (as batch × k·out) = [V_1 x_n + b_1, ..., V_k x_n + b_k]
      int bOff = vOff + k * d.biasOffset();
      for (int n = 0; n < batch; n++) System.arraycopy(v, bOff, dz, n * k * out, k * out);
      Gemm.gemm(false, true, batch, k * out, in, 1.0, x, 0, v, vOff, 1.0, dz, 0);
    }
    if (dx != null) {
      Gemm.gemm(false, true, batch * k, out, in, 1.0, dx, 0, theta, off, v != null ? 1.0 : 0.0, dz, 0);
    } else if (v == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0);
    }
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v, int vOff,
                              double[] dgIn, double[] hv, int hvOff, boolean gaussNewton, int batch, int k) {
    Dense d = (Dense) layer;
    int in = d.inputSize();
    int out = d.outputSize();
    int wSize = out * in;
    if (hv != null) {
      // [dg_1..dg_k]ᵀ x: dg as batch × (k·out) transposed gives the stacked k·out × in block at once.
      Gemm.gemm(true, false, k * out, in, batch, 1.0, dg, 0, x, 0, 1.0, hv, hvOff);
      if (!gaussNewton && dx != null) {
        if (k == 1) {
          Gemm.gemm(true, false, out, in, batch, 1.0, g, 0, dx, 0, 1.0, hv, hvOff);
        } else {
          // gᵀ [dx_1 .. dx_k] in one GEMM (out × k·in, directions side by side), then added into the stacked blocks
          double[] t = scratch(out * k * in);
          Gemm.gemm(true, false, out, k * in, batch, 1.0, g, 0, dx, 0, 0.0, t, 0);
          for (int j = 0; j < k; j++) {
            for (int i = 0; i < out; i++) {
              int src = i * k * in + j * in;
              int dst = hvOff + j * wSize + i * in;
              for (int c = 0; c < in; c++) hv[dst + c] += t[src + c];
            }
          }
        }
      }
      Dense.addColumnSums(dg, batch, k * out, hv, hvOff + k * wSize);
    }
    if (dgIn != null) {
      Gemm.gemm(false, false, batch * k, in, out, 1.0, dg, 0, theta, off, 0.0, dgIn, 0);
      if (!gaussNewton && v != null) {
        if (k == 1) {
          Gemm.gemm(false, false, batch, in, out, 1.0, g, 0, v, vOff, 1.0, dgIn, 0);
        } else {
          // g [V_1 .. V_k] in one GEMM: the directions side by side (out × k·in) give dgIn's row layout directly
          double[] side = scratch(out * k * in);
          for (int j = 0; j < k; j++) {
            for (int i = 0; i < out; i++) System.arraycopy(v, vOff + j * wSize + i * in, side, i * k * in + j * in, in);
          }
          Gemm.gemm(false, false, batch, k * in, out, 1.0, g, 0, side, 0, 1.0, dgIn, 0);
        }
      }
    }
  }
}
