package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import org.hesse.linalg.Gemm;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Layer;

/**
 * Second-order rules of {@link Conv2d}, written on the unfolded input as {@link DenseSecondOrder} is on x: per
 * sample, {@code z = W·col(x) + b} with {@code col(x)} the {@code K × P} im2col matrix and W the {@code O × K}
 * filter matrix (V, v_b the direction on W, b; col2im the adjoint of col):
 * <pre>
 *   dz      = W·col(dx) + V·col(x) + v_b
 *   (Hv)_W += dg·col(x)ᵀ + g·col(dx)ᵀ                  (GGN: the first term only)
 *   (Hv)_b += Σ_positions dg
 *   dg_x    = col2im(Wᵀ·dg) + col2im(Vᵀ·g)              (GGN: the first term only)
 * </pre>
 * For k directions col(x) is unfolded once per sample and used by every direction's GEMMs (one per sample, direction
 * and term). col(x) is unfolded again on each product rather than cached per batch (the unfolding costs
 * {@code K·P} copies against the GEMM's {@code 2·O·K·P} flops, and caching it would take k² times the input's
 * memory). The {@code K × P} scratch buffers come from the operator's {@link Scratch}, so one {@code Curvature}'s
 * operators can run on several threads; they are grown for the largest layer. The backward tangent has both forms:
 * BackPACK's split ({@link #vjpTangent}, {@link #residualTerms}) and a fused {@link #backwardTangent}, which the
 * engine uses because it measured faster (see there).
 */
public final class Conv2dSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.Conv2d.class;
  }

  @Float32Twin
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
    Conv2d c = (Conv2d) layer;
    int out = c.outputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0);
      return;
    }
    int in = c.inputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    double[][] s = {scratch.get(0, kk * p), scratch.get(1, kk * p)};
    double[] colx = s[0];
    double[] col = s[1];
    for (int n = 0; n < batch; n++) {
      int zn = n * k * out;
      if (v != null) {
        c.im2col(x, n * in, colx, 0);
        for (int j = 0; j < k; j++) {
          int vj = vOff + j * vStride;
          for (int ch = 0; ch < o; ch++) {
            int r = zn + (j * o + ch) * p;
            Arrays.fill(dz, r, r + p, v[vj + c.biasOffset() + ch]);
          }
          Gemm.gemm(false, false, o, p, kk, 1.0, v, vj, colx, 0, 1.0, dz, zn + j * out);
        }
      }
      if (dx != null) {
        for (int j = 0; j < k; j++) {
          c.im2col(dx, (n * k + j) * in, col, 0);
          Gemm.gemm(false, false, o, p, kk, 1.0, theta, off, col, 0, v != null ? 1.0 : 0.0, dz, zn + j * out);
        }
      }
    }
  }

  /** The Gauss-Newton part: {@code hv += dg·col(x)ᵀ, Σ dg}, {@code dg_x = col2im(Wᵀ·dg)}. */
  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null) return;
    Conv2d c = (Conv2d) node.layer;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    double[] col = scratch.get(0, kk * p);
    for (int n = 0; n < node.batch; n++) {
      if (hv != null) {
        c.im2col(node.x(), n * in, col, 0);
        for (int j = 0; j < k; j++) {
          int h = hvv.offset() + j * hvv.stride();
          Gemm.gemm(false, true, o, kk, p, 1.0, dg, (n * k + j) * out, col, 0, 1.0, hv, h);
          Conv2d.addRowSums(dg, (n * k + j) * out, o, p, hv, h + c.biasOffset());
        }
      }
      if (dgIn != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(true, false, kk, p, o, 1.0, node.theta, node.off, dg, (n * k + j) * out, 0.0, col, 0);
          c.col2im(col, 0, dgIn, (n * k + j) * in);
        }
      }
    }
  }

  /** The terms carrying g: {@code hv_W += g·col(dx)ᵀ}, {@code dg_x += col2im(Vᵀ·g)}. */
  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View vv, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dx = dxs[0];
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    boolean gTermW = hv != null && dx != null;
    boolean gTermX = dgIn != null && vv != null;
    if (!gTermW && !gTermX) return;
    Conv2d c = (Conv2d) node.layer;
    double[] g = node.g;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    double[] col = scratch.get(0, kk * p);
    double[] back = gTermX ? scratch.get(1, in) : null;
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        if (gTermW) {
          c.im2col(dx, (n * k + j) * in, col, 0);
          Gemm.gemm(false, true, o, kk, p, 1.0, g, n * out, col, 0, 1.0, hv, hvv.offset() + j * hvv.stride());
        }
        if (gTermX) {
          Gemm.gemm(true, false, kk, p, o, 1.0, vv.array(), vv.offset() + j * vv.stride(), g, n * out, 0.0, col, 0);
          c.col2im(col, 0, back, 0);
          int r = (n * k + j) * in;
          for (int i = 0; i < in; i++) dgIn[r + i] += back[i];
        }
      }
    }
  }

  /**
   * Fused override, kept because it measurably pays: one sweep forms the Gauss-Newton part and, unless gaussNewton,
   * the residual terms, with one col2im of {@code Wᵀdg + Vᵀg} per sample and direction instead of two. MEASURED
   * ({@code OPENBLAS_NUM_THREADS=1 java ... org.hesse.bench.SplitVsFused 81}: conv net [3,16,16]
   * conv16-BN-relu-conv16-BN-relu-dense10, batch 64, interleaved rounds, thread CPU time, 2 shared cores): the full
   * HVP with {@link #vjpTangent} + {@link #residualTerms} / with this body = 1.082 (quartiles 1.058, 1.113); the GGN
   * (no residual terms) 1.004.
   * The two parts give the same result to rounding (ConvCurvatureTest).
   */
  @Float32Twin
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
    if (hv == null && dgIn == null) return;
    Conv2d c = (Conv2d) layer;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    boolean gTermW = !gaussNewton && dx != null;
    boolean gTermX = !gaussNewton && v != null;
    double[][] s = {scratch.get(0, kk * p), scratch.get(1, kk * p)};
    double[] colx = s[0];
    double[] col = s[1];
    for (int n = 0; n < batch; n++) {
      if (hv != null) {
        c.im2col(x, n * in, colx, 0);
        for (int j = 0; j < k; j++) {
          int h = hvOff + j * hvStride;
          Gemm.gemm(false, true, o, kk, p, 1.0, dg, (n * k + j) * out, colx, 0, 1.0, hv, h);
          Conv2d.addRowSums(dg, (n * k + j) * out, o, p, hv, h + c.biasOffset());
          if (gTermW) {
            c.im2col(dx, (n * k + j) * in, col, 0);
            Gemm.gemm(false, true, o, kk, p, 1.0, g, n * out, col, 0, 1.0, hv, h);
          }
        }
      }
      if (dgIn != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(true, false, kk, p, o, 1.0, theta, off, dg, (n * k + j) * out, 0.0, col, 0);
          if (gTermX) Gemm.gemm(true, false, kk, p, o, 1.0, v, vOff + j * vStride, g, n * out, 1.0, col, 0);
          c.col2im(col, 0, dgIn, (n * k + j) * in);
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    float[] theta = node.theta;
    int off = node.off;
    float[] x = node.x();
    int batch = node.batch;
    float[] dx = dxs[0];
    float[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    Conv2d c = (Conv2d) layer;
    int out = c.outputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * out, 0.0f);
      return;
    }
    int in = c.inputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    float[][] s = { scratch.get(0, kk * p), scratch.get(1, kk * p) };
    float[] colx = s[0];
    float[] col = s[1];
    for (int n = 0; n < batch; n++) {
      int zn = n * k * out;
      if (v != null) {
        c.im2col(x, n * in, colx, 0);
        for (int j = 0; j < k; j++) {
          int vj = vOff + j * vStride;
          for (int ch = 0; ch < o; ch++) {
            int r = zn + (j * o + ch) * p;
            Arrays.fill(dz, r, r + p, (float) (v[vj + c.biasOffset() + ch]));
          }
          Gemm.gemm(false, false, o, p, kk, 1.0, v, vj, colx, 0, 1.0, dz, zn + j * out);
        }
      }
      if (dx != null) {
        for (int j = 0; j < k; j++) {
          c.im2col(dx, (n * k + j) * in, col, 0);
          Gemm.gemm(false, false, o, p, kk, 1.0, theta, off, col, 0, v != null ? 1.0 : 0.0, dz, zn + j * out);
        }
      }
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hvv, int k, Scratch32 scratch) {
    float[] dgIn = dgIns[0];
    float[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null)
      return;
    Conv2d c = (Conv2d) node.layer;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    float[] col = scratch.get(0, kk * p);
    for (int n = 0; n < node.batch; n++) {
      if (hv != null) {
        c.im2col(node.x(), n * in, col, 0);
        for (int j = 0; j < k; j++) {
          int h = hvv.offset() + j * hvv.stride();
          Gemm.gemm(false, true, o, kk, p, 1.0, dg, (n * k + j) * out, col, 0, 1.0, hv, h);
          Conv2d.addRowSums(dg, (n * k + j) * out, o, p, hv, h + c.biasOffset());
        }
      }
      if (dgIn != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(true, false, kk, p, o, 1.0, node.theta, node.off, dg, (n * k + j) * out, 0.0, col, 0);
          c.col2im(col, 0, dgIn, (n * k + j) * in);
        }
      }
    }
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 vv, float[][] dgIns, View32 hvv, int k, Scratch32 scratch) {
    float[] dx = dxs[0];
    float[] dgIn = dgIns[0];
    float[] hv = hvv == null ? null : hvv.array();
    boolean gTermW = hv != null && dx != null;
    boolean gTermX = dgIn != null && vv != null;
    if (!gTermW && !gTermX)
      return;
    Conv2d c = (Conv2d) node.layer;
    float[] g = node.g;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    float[] col = scratch.get(0, kk * p);
    float[] back = gTermX ? scratch.get(1, in) : null;
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) {
        if (gTermW) {
          c.im2col(dx, (n * k + j) * in, col, 0);
          Gemm.gemm(false, true, o, kk, p, 1.0, g, n * out, col, 0, 1.0, hv, hvv.offset() + j * hvv.stride());
        }
        if (gTermX) {
          Gemm.gemm(true, false, kk, p, o, 1.0, vv.array(), vv.offset() + j * vv.stride(), g, n * out, 0.0, col, 0);
          c.col2im(col, 0, back, 0);
          int r = (n * k + j) * in;
          for (int i = 0; i < in; i++) dgIn[r + i] += back[i];
        }
      }
    }
  }

  @Override
  public void backwardTangent(Primal32 node, float[] dg, float[][] dxs, View32 vv, float[][] dgIns, View32 hvv, boolean gaussNewton, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    float[] theta = node.theta;
    int off = node.off;
    float[] x = node.x();
    int batch = node.batch;
    float[] g = node.g;
    float[] dx = dxs[0];
    float[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    float[] dgIn = dgIns[0];
    float[] hv = hvv == null ? null : hvv.array();
    int hvOff = hvv == null ? 0 : hvv.offset();
    int hvStride = hvv == null ? 0 : hvv.stride();
    if (hv == null && dgIn == null)
      return;
    Conv2d c = (Conv2d) layer;
    int in = c.inputSize();
    int out = c.outputSize();
    int kk = c.patch();
    int p = c.positions();
    int o = c.outChannels();
    boolean gTermW = !gaussNewton && dx != null;
    boolean gTermX = !gaussNewton && v != null;
    float[][] s = { scratch.get(0, kk * p), scratch.get(1, kk * p) };
    float[] colx = s[0];
    float[] col = s[1];
    for (int n = 0; n < batch; n++) {
      if (hv != null) {
        c.im2col(x, n * in, colx, 0);
        for (int j = 0; j < k; j++) {
          int h = hvOff + j * hvStride;
          Gemm.gemm(false, true, o, kk, p, 1.0, dg, (n * k + j) * out, colx, 0, 1.0, hv, h);
          Conv2d.addRowSums(dg, (n * k + j) * out, o, p, hv, h + c.biasOffset());
          if (gTermW) {
            c.im2col(dx, (n * k + j) * in, col, 0);
            Gemm.gemm(false, true, o, kk, p, 1.0, g, n * out, col, 0, 1.0, hv, h);
          }
        }
      }
      if (dgIn != null) {
        for (int j = 0; j < k; j++) {
          Gemm.gemm(true, false, kk, p, o, 1.0, theta, off, dg, (n * k + j) * out, 0.0, col, 0);
          if (gTermX)
            Gemm.gemm(true, false, kk, p, o, 1.0, v, vOff + j * vStride, g, n * out, 1.0, col, 0);
          c.col2im(col, 0, dgIn, (n * k + j) * in);
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
