package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Layer;
import org.hesse.precision.Float32Twin;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * Second-order rules of an element-wise {@code a = σ(x)}:
 * <pre>
 *   da    = σ'(x) ⊙ dx
 *   dg_x  = σ'(x) ⊙ dg_a [+ σ''(x) ⊙ dx ⊙ g_a]   (residual term in brackets: skipped for the GGN)
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
  @Float32Twin
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

  @Float32Twin
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

  @Float32Twin
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

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    double[] dgIn = dgIns[0];
    if (dgIn == null) return;
    Activation f = ((ActivationLayer) node.layer).function();
    int w = node.layer.inputSize();
    if (k == 1) {
      tangent(f, node.prep, node.z, 0, dg, 0, dgIn, node.batch * w);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) tangent(f, node.prep, node.z, n * w, dg, (n * k + j) * w, dgIn, w);
    }
  }

  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    Activation f = ((ActivationLayer) node.layer).function();
    double[] dx = dxs[0];
    double[] dgIn = dgIns[0];
    if (dgIn == null || dx == null || f.piecewiseLinear()) return;
    int w = node.layer.inputSize();
    if (k == 1) {
      curvature(f, node.prep, node.z, node.g, 0, dx, 0, dgIn, node.batch * w);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) curvature(f, node.prep, node.z, node.g, n * w, dx, (n * k + j) * w, dgIn, w);
    }
  }

  /** out[r..r+len) = σ' ⊙ dx for one sample's row (σ' at s..s+len): the per-sample values at s, tangents at r. */
  @Float32Twin
  private static void tangent(Activation f, Object prep, double[] z, int s, double[] dx, int r, double[] out, int len) {
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputTangent(f, z, s, dx, r, out, r, len);
    } else {
      K.mul(((Derivatives) prep).d1, s, dx, r, out, r, len);
    }
  }

  /** out += σ'' ⊙ dx ⊙ g, per-sample values (σ, g) at s, tangents at r. */
  @Float32Twin
  private static void curvature(Activation f, Object prep, double[] z, double[] g, int s, double[] dx, int r,
                                double[] out, int len) {
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputCurvature(f, z, s, dx, r, g, s, out, r, len);
    } else {
      K.mulMulAdd(((Derivatives) prep).d2, s, dx, r, g, s, out, r, len);
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  public static final class Derivatives32 {

    final float[] d1;

    final float[] d2;

    Derivatives32(float[] d1, float[] d2) {
      this.d1 = d1;
      this.d2 = d2;
    }
  }

  @Override
  public Object prepare(Primal32 node, Object previous) {
    Layer layer = node.layer;
    float[] x = node.x();
    int batch = node.batch;
    Activation f = ((ActivationLayer) layer).function();
    if (fromOutput(f))
      return null;
    int n = batch * layer.inputSize();
    Derivatives32 d = previous instanceof Derivatives32 && ((Derivatives32) previous).d1.length == n ? (Derivatives32) previous : new Derivatives32(new float[n], f.piecewiseLinear() ? null : new float[n]);
    K.activationDerivatives(f, x, 0, d.d1, 0, d.d2, 0, n);
    return d;
  }

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    float[] z = node.z;
    int batch = node.batch;
    float[] dx = dxs[0];
    int w = layer.inputSize();
    if (dx == null) {
      Arrays.fill(dz, 0, batch * k * w, 0.0f);
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
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    float[] dgIn = dgIns[0];
    if (dgIn == null)
      return;
    Activation f = ((ActivationLayer) node.layer).function();
    int w = node.layer.inputSize();
    if (k == 1) {
      tangent(f, node.prep, node.z, 0, dg, 0, dgIn, node.batch * w);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) tangent(f, node.prep, node.z, n * w, dg, (n * k + j) * w, dgIn, w);
    }
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Activation f = ((ActivationLayer) node.layer).function();
    float[] dx = dxs[0];
    float[] dgIn = dgIns[0];
    if (dgIn == null || dx == null || f.piecewiseLinear())
      return;
    int w = node.layer.inputSize();
    if (k == 1) {
      curvature(f, node.prep, node.z, node.g, 0, dx, 0, dgIn, node.batch * w);
      return;
    }
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) curvature(f, node.prep, node.z, node.g, n * w, dx, (n * k + j) * w, dgIn, w);
    }
  }

  private static void tangent(Activation f, Object prep, float[] z, int s, float[] dx, int r, float[] out, int len) {
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputTangent(f, z, s, dx, r, out, r, len);
    } else {
      K.mul(((Derivatives32) prep).d1, s, dx, r, out, r, len);
    }
  }

  private static void curvature(Activation f, Object prep, float[] z, float[] g, int s, float[] dx, int r, float[] out, int len) {
    if (f == Activation.TANH || f == Activation.SIGMOID) {
      K.outputCurvature(f, z, s, dx, r, g, s, out, r, len);
    } else {
      K.mulMulAdd(((Derivatives32) prep).d2, s, dx, r, g, s, out, r, len);
    }
  }
  // ---- end of generated float32 twins ----
}
