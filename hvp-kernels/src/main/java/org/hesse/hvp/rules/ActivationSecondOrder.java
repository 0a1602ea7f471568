package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * Second-order rules of an element-wise {@code a = σ(x)}:
 * <pre>
 *   da    = σ'(x) ⊙ dx
 *   dg_x  = σ'(x) ⊙ dg_a + σ''(x) ⊙ dx ⊙ g_a     (GGN: the first term only)
 * </pre>
 * tanh and the logistic function take σ' and σ'' from their cached outputs a inside each product
 * ({@code tanh' = 1 − a², tanh'' = −2a·tanh'}; {@code σ' = a(1 − a), σ'' = σ'(1 − 2a)}): a few multiplications
 * per element, cheaper than storing and re-reading two arrays per batch. The other activations compute σ' and
 * σ'' once per batch in {@link #prepare}; σ'' is not stored for piecewise-linear ones, where it is zero.
 */
public final class ActivationSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.ActivationLayer.class;
  }

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

  /** Whether σ', σ'' come from the output (no per-batch arrays). */
  private static boolean fromOutput(Activation f) {
    return f == Activation.TANH || f == Activation.SIGMOID;
  }

  @Override
  public Object prepare(Primal node, Object previous) {
    Layer layer = node.layer;
    double[] x = node.x();
    int batch = node.batch;
    Activation f = ((ActivationLayer) layer).function();
    if (fromOutput(f)) return null;
    int n = batch * layer.inputSize();
    Derivatives d = previous instanceof Derivatives && ((Derivatives) previous).d1.length == n
        ? (Derivatives) previous : new Derivatives(new double[n], f.piecewiseLinear() ? null : new double[n]);
    K.activationDerivatives(f, x, 0, d.d1, 0, d.d2, 0, n);
    return d;
  }

  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    double[] z = node.z;
    int batch = node.batch;
    double[] dx = dxs[0];
    int w = layer.inputSize();
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * w, 0.0);
      return;
    }
    Activation f = ((ActivationLayer) layer).function();
    if (k == 1) {
      tangent(f, prep, z, 0, dx, 0, dz, batch * w);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        tangent(f, prep, z, n * w, dx, r, dz, w);
      }
    }
  }

  @Override
  public void backwardTangent(Primal node, double[] dg, double[][] dxs, View vv, double[][] dgIns, View hvv,
                              boolean gaussNewton, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    double[] z = node.z;
    int batch = node.batch;
    double[] g = node.g;
    double[] dx = dxs[0];
    double[] dgIn = dgIns[0];
    if (dgIn == null) return;
    Activation f = ((ActivationLayer) layer).function();
    int w = layer.inputSize();
    boolean curvatureTerm = !gaussNewton && dx != null && !f.piecewiseLinear();
    if (k == 1) {
      backward(f, prep, z, g, 0, dg, dx, 0, dgIn, batch * w, curvatureTerm);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int j = 0; j < k; j++) {
        int r = (n * k + j) * w;
        backward(f, prep, z, g, n * w, dg, dx, r, dgIn, w, curvatureTerm);
      }
    }
  }

  /** out[r..r+len) = σ' ⊙ dx for one sample's row (σ' at s..s+len): the per-sample values at s, tangents at r. */
  private static void tangent(Activation f, Object prep, double[] z, int s, double[] dx, int r, double[] out, int len) {
    if (f == Activation.TANH) {
      for (int i = 0; i < len; i++) {
        double a = z[s + i];
        out[r + i] = (1.0 - a * a) * dx[r + i];
      }
    } else if (f == Activation.SIGMOID) {
      for (int i = 0; i < len; i++) {
        double a = z[s + i];
        out[r + i] = a * (1.0 - a) * dx[r + i];
      }
    } else {
      K.mul(((Derivatives) prep).d1, s, dx, r, out, r, len);
    }
  }

  /** out = σ' ⊙ dg (+ σ'' ⊙ dx ⊙ g when curvatureTerm), per-sample values (σ, g) at s, tangents at r. */
  private static void backward(Activation f, Object prep, double[] z, double[] g, int s, double[] dg, double[] dx,
                               int r, double[] out, int len, boolean curvatureTerm) {
    if (f == Activation.TANH) {
      if (curvatureTerm) {
        for (int i = 0; i < len; i++) {
          double a = z[s + i];
          double d1 = 1.0 - a * a;
          out[r + i] = d1 * dg[r + i] + (-2.0 * a * d1) * dx[r + i] * g[s + i];
        }
      } else {
        for (int i = 0; i < len; i++) {
          double a = z[s + i];
          out[r + i] = (1.0 - a * a) * dg[r + i];
        }
      }
    } else if (f == Activation.SIGMOID) {
      if (curvatureTerm) {
        for (int i = 0; i < len; i++) {
          double a = z[s + i];
          double d1 = a * (1.0 - a);
          out[r + i] = d1 * dg[r + i] + d1 * (1.0 - 2.0 * a) * dx[r + i] * g[s + i];
        }
      } else {
        for (int i = 0; i < len; i++) {
          double a = z[s + i];
          out[r + i] = a * (1.0 - a) * dg[r + i];
        }
      }
    } else {
      Derivatives d = (Derivatives) prep;
      K.mul(d.d1, s, dg, r, out, r, len);
      if (curvatureTerm) K.mulMulAdd(d.d2, s, dx, r, g, s, out, r, len);
    }
  }
}
