package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * Second-order rules of an element-wise {@code a = σ(x)}:
 * <pre>
 *   da    = σ'(x) ⊙ dx
 *   dg_x  = σ'(x) ⊙ dg_a + σ''(x) ⊙ dx ⊙ g_a     (GGN: the first term only)
 * </pre>
 * σ' and σ'' are computed once per batch in {@link #prepare} and reused by every product; σ'' is not
 * stored for piecewise-linear activations, where it is zero.
 */
public final class ActivationSecondOrder implements SecondOrderRule {
  private static final Kernels K = KernelProvider.get();

  /** σ'(x) and σ''(x) of one batch (d2 null when identically zero). */
  public static final class Derivatives {
    final double[] d1;
    final double[] d2;

    Derivatives(double[] d1, double[] d2) {
      this.d1 = d1;
      this.d2 = d2;
    }
  }

  @Override
  public Object prepare(Layer layer, LayerContext ctx, double[] theta, int off, double[] x, double[] z, int batch) {
    ActivationLayer a = (ActivationLayer) layer;
    int n = batch * a.inputSize();
    double[] d1 = new double[n];
    double[] d2 = a.function().piecewiseLinear() ? null : new double[n];
    switch (a.function()) {
      // from the outputs: no second evaluation of tanh / the logistic function
      case TANH:
        for (int i = 0; i < n; i++) {
          double t = z[i];
          d1[i] = 1.0 - t * t;
          d2[i] = -2.0 * t * d1[i];
        }
        break;
      case SIGMOID:
        for (int i = 0; i < n; i++) {
          double s = z[i];
          d1[i] = s * (1.0 - s);
          d2[i] = d1[i] * (1.0 - 2.0 * s);
        }
        break;
      default:
        K.activationDerivatives(a.function(), x, 0, d1, 0, d2, 0, n);
    }
    return new Derivatives(d1, d2);
  }

  @Override
  public void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                  double[] dx, double[] v, double[] dz, int batch, int k) {
    int w = layer.inputSize();
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * w, 0.0);
      return;
    }
    double[] d1 = ((Derivatives) prep).d1;
    if (k == 1) {
      K.mul(d1, 0, dx, 0, dz, 0, batch * w);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        K.mul(d1, n * w, dx, r, dz, r, w);
      }
    }
  }

  @Override
  public void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                              double[] g, double[] dg, double[] dx, double[] v,
                              double[] dgIn, double[] hv, boolean gaussNewton, int batch, int k) {
    if (dgIn == null) return;
    Derivatives d = (Derivatives) prep;
    int w = layer.inputSize();
    boolean curvatureTerm = !gaussNewton && dx != null && d.d2 != null;
    if (k == 1) {
      K.mul(d.d1, 0, dg, 0, dgIn, 0, batch * w);
      if (curvatureTerm) K.mulMulAdd(d.d2, 0, dx, 0, g, 0, dgIn, 0, batch * w);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        K.mul(d.d1, n * w, dg, r, dgIn, r, w);
        if (curvatureTerm) K.mulMulAdd(d.d2, n * w, dx, r, g, n * w, dgIn, r, w);
      }
    }
  }
}
