package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import java.util.Arrays;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.LayerNorm;

/**
 * Second-order rules of layer normalisation {@code y = γ ⊙ x̂ + β}, with per-sample statistics over its D
 * features ("mean" below is over the features of one sample and one direction; samples are not coupled).
 * With {@code s = √(σ² + ε)}, {@code x̂ = (x − μ)/s}, h = γ ⊙ g, the direction (dx, v_γ, v_β):
 * <pre>
 *   r    = mean(x̂·dx),  dx̂ = (dx − mean(dx))/s − x̂·r/s
 *   dy   = γ ⊙ dx̂ + v_γ ⊙ x̂ + v_β
 *   gx   = A/s,  A = h − mean(h) − x̂·mean(h·x̂)               (the VJP)
 *   dgx  = (dh − mean(dh) − x̂·mean(dh·x̂))/s,  dh = γ ⊙ dg    [GGN: this term only]
 *        − (r/s²)·A + (u − mean(u) − x̂·mean(u·x̂))/s,  u = g ⊙ v_γ
 *        − (dx̂·mean(h·x̂) + x̂·mean(h·dx̂))/s
 *   (Hv)_γ += Σ_n dg ⊙ x̂ + g ⊙ dx̂                             [GGN: Σ_n dg ⊙ x̂]
 *   (Hv)_β += Σ_n dg
 * </pre>
 *
 * <p>The backward tangent is BackPACK's split ({@link #vjpTangent}, {@link #residualTerms}); the fused body it
 * replaced was not measurably faster: full HVP split / fused = 1.001 (quartiles 0.974, 1.042), GGN 1.008, on
 * dense256-LN-tanh-dense256-LN-tanh-dense10, batch 256 (101 interleaved rounds, thread CPU time, the fused body from
 * commit 1350691 registered at run time). dgx is formed by the same operations in the same order, so the GGN is
 * bitwise unchanged.
 */
public final class LayerNormSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.LayerNorm.class;
  }


  @Float32Twin
  static final class Prep {
    @Float32Twin.Keep final double[] invStd;  // float64 statistics in both precisions
    final double[] xhat;

    Prep(@Float32Twin.Keep double[] invStd, double[] xhat) {
      this.invStd = invStd;
      this.xhat = xhat;
    }
  }

  @Float32Twin
  @Override
  public Object prepare(Primal node, Object previous) {
    Layer layer = node.layer;
    double[] x = node.x();
    int batch = node.batch;
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int rows = batch * ln.groups();
    @Float32Twin.Keep double[] mean = new double[rows];
    boolean reuse = previous instanceof Prep && ((Prep) previous).xhat.length == rows * D;
    @Float32Twin.Keep double[] invStd = reuse ? ((Prep) previous).invStd : new double[rows];
    ln.statistics(x, rows, mean, invStd);
    double[] xhat = reuse ? ((Prep) previous).xhat : new double[rows * D];
    for (int n = 0; n < rows; n++) {
      for (int d = 0; d < D; d++) xhat[n * D + d] = (x[n * D + d] - mean[n]) * invStd[n];
    }
    return new Prep(invStd, xhat);
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    double[] theta = node.theta;
    int off = node.off;
    int batch = node.batch;
    double[] dx = dxs[0];
    double[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * S, 0.0);
      return;
    }
    Prep pr = (Prep) prep;
    double[] xh = pr.xhat;
    for (int row = 0; row < batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;  // the group of sample n: per-sample values at row·D, tangents at (n·k + j)·S + grp·D
      double is = pr.invStd[row];
      int ox = row * D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        double mdx = 0;
        double r = 0;
        if (dx != null) {
          for (int d = 0; d < D; d++) {
            mdx += dx[o + d];
            r += xh[ox + d] * dx[o + d];
          }
          mdx /= D;
          r /= D;
        }
        for (int d = 0; d < D; d++) {
          double xv = xh[ox + d];
          double t = dx == null ? 0 : theta[off + d] * (dx[o + d] - mdx - xv * r) * is;
          if (v != null) t += v[vOff + j * vStride + d] * xv + v[vOff + j * vStride + D + d];
          dz[o + d] = t;
        }
      }
    }
  }

  /**
   * The Gauss-Newton part: {@code (Hv)_γ += Σ_n dg ⊙ x̂}, {@code (Hv)_β += Σ_n dg},
   * {@code dgx = (dh − mean(dh) − x̂·mean(dh·x̂))/s}.
   */
  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null) return;
    double[] theta = node.theta;
    int off = node.off;
    LayerNorm ln = (LayerNorm) node.layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    Prep pr = (Prep) node.prep;
    double[] xh = pr.xhat;
    for (int row = 0; row < node.batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;  // the group of sample n: per-sample values at row·D, tangents at (n·k + j)·S + grp·D
      double is = pr.invStd[row];
      int ox = row * D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        if (hv != null) {
          int h = hvv.offset() + j * hvv.stride();
          for (int d = 0; d < D; d++) {
            hv[h + d] += dg[o + d] * xh[ox + d];
            hv[h + D + d] += dg[o + d];
          }
        }
        if (dgIn == null) continue;
        double sdh = 0;
        double sdhx = 0;
        for (int d = 0; d < D; d++) {
          double dh = dg[o + d] * theta[off + d];
          sdh += dh;
          sdhx += dh * xh[ox + d];
        }
        for (int d = 0; d < D; d++) {
          dgIn[o + d] = is * (dg[o + d] * theta[off + d] - sdh / D - xh[ox + d] * sdhx / D);
        }
      }
    }
  }

  /**
   * The terms carrying g: {@code (Hv)_γ += Σ_n g ⊙ dx̂} and {@code dgx += − (r/s²)·A + (u − mean(u) −
   * x̂·mean(u·x̂))/s − (dx̂·mean(h·x̂) + x̂·mean(h·dx̂))/s}.
   */
  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View vv, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dx = dxs[0];
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null) return;
    if (dx == null && vv == null) return;
    double[] theta = node.theta;
    int off = node.off;
    double[] g = node.g;
    double[] v = vv == null ? null : vv.array();
    LayerNorm ln = (LayerNorm) node.layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    Prep pr = (Prep) node.prep;
    double[] xh = pr.xhat;
    for (int row = 0; row < node.batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;
      double is = pr.invStd[row];
      int ox = row * D;
      double sh = 0;
      double shx = 0;
      for (int d = 0; d < D; d++) {
        double h = g[ox + d] * theta[off + d];
        sh += h;
        shx += h * xh[ox + d];
      }
      double mhx = shx / D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        int vj = v == null ? 0 : vv.offset() + j * vv.stride();
        double mdx = 0;
        double r = 0;
        double shdx = 0;
        double su = 0;
        double sux = 0;
        for (int d = 0; d < D; d++) {
          if (dx != null) {
            mdx += dx[o + d];
            r += xh[ox + d] * dx[o + d];
            shdx += g[ox + d] * theta[off + d] * dx[o + d];
          }
          if (v != null) {
            double u = g[ox + d] * v[vj + d];
            su += u;
            sux += u * xh[ox + d];
          }
        }
        mdx /= D;
        r /= D;
        double mhdxh = (shdx - mdx * sh - r * shx) * is / D;  // mean(h·dx̂)
        for (int d = 0; d < D; d++) {
          double xv = xh[ox + d];
          double dxh = dx != null ? (dx[o + d] - mdx - xv * r) * is : 0;
          if (hv != null) hv[hvv.offset() + j * hvv.stride() + d] += g[ox + d] * dxh;
          if (dgIn == null) continue;
          // the same operations, in the same order, as the fused body had after its Gauss-Newton part
          double A = g[ox + d] * theta[off + d] - sh / D - xv * mhx;
          dgIn[o + d] -= r * is * is * A;
          if (v != null) dgIn[o + d] += is * (g[ox + d] * v[vj + d] - su / D - xv * sux / D);
          dgIn[o + d] -= is * (dxh * mhx + xv * mhdxh);
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  static final class Prep32 {

    @Float32Twin.Keep
    final double[] invStd;

    final float[] xhat;

    Prep32(@Float32Twin.Keep double[] invStd, float[] xhat) {
      this.invStd = invStd;
      this.xhat = xhat;
    }
  }

  @Override
  public Object prepare(Primal32 node, Object previous) {
    Layer layer = node.layer;
    float[] x = node.x();
    int batch = node.batch;
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int rows = batch * ln.groups();
    @Float32Twin.Keep
    double[] mean = new double[rows];
    boolean reuse = previous instanceof Prep32 && ((Prep32) previous).xhat.length == rows * D;
    @Float32Twin.Keep
    double[] invStd = reuse ? ((Prep32) previous).invStd : new double[rows];
    ln.statistics(x, rows, mean, invStd);
    float[] xhat = reuse ? ((Prep32) previous).xhat : new float[rows * D];
    for (int n = 0; n < rows; n++) {
      for (int d = 0; d < D; d++) xhat[n * D + d] = (float) ((x[n * D + d] - mean[n]) * invStd[n]);
    }
    return new Prep32(invStd, xhat);
  }

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    float[] theta = node.theta;
    int off = node.off;
    int batch = node.batch;
    float[] dx = dxs[0];
    float[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * S, 0.0f);
      return;
    }
    Prep32 pr = (Prep32) prep;
    float[] xh = pr.xhat;
    for (int row = 0; row < batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;
      double is = pr.invStd[row];
      int ox = row * D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        double mdx = 0;
        double r = 0;
        if (dx != null) {
          for (int d = 0; d < D; d++) {
            mdx += dx[o + d];
            r += xh[ox + d] * dx[o + d];
          }
          mdx /= D;
          r /= D;
        }
        for (int d = 0; d < D; d++) {
          double xv = xh[ox + d];
          double t = dx == null ? 0 : theta[off + d] * (dx[o + d] - mdx - xv * r) * is;
          if (v != null)
            t += v[vOff + j * vStride + d] * xv + v[vOff + j * vStride + D + d];
          dz[o + d] = (float) (t);
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
    float[] theta = node.theta;
    int off = node.off;
    LayerNorm ln = (LayerNorm) node.layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    Prep32 pr = (Prep32) node.prep;
    float[] xh = pr.xhat;
    for (int row = 0; row < node.batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;
      double is = pr.invStd[row];
      int ox = row * D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        if (hv != null) {
          int h = hvv.offset() + j * hvv.stride();
          for (int d = 0; d < D; d++) {
            hv[h + d] += dg[o + d] * xh[ox + d];
            hv[h + D + d] += dg[o + d];
          }
        }
        if (dgIn == null)
          continue;
        double sdh = 0;
        double sdhx = 0;
        for (int d = 0; d < D; d++) {
          double dh = dg[o + d] * theta[off + d];
          sdh += dh;
          sdhx += dh * xh[ox + d];
        }
        for (int d = 0; d < D; d++) {
          dgIn[o + d] = (float) (is * (dg[o + d] * theta[off + d] - sdh / D - xh[ox + d] * sdhx / D));
        }
      }
    }
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 vv, float[][] dgIns, View32 hvv, int k, Scratch32 scratch) {
    float[] dx = dxs[0];
    float[] dgIn = dgIns[0];
    float[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null)
      return;
    if (dx == null && vv == null)
      return;
    float[] theta = node.theta;
    int off = node.off;
    float[] g = node.g;
    float[] v = vv == null ? null : vv.array();
    LayerNorm ln = (LayerNorm) node.layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    Prep32 pr = (Prep32) node.prep;
    float[] xh = pr.xhat;
    for (int row = 0; row < node.batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;
      double is = pr.invStd[row];
      int ox = row * D;
      double sh = 0;
      double shx = 0;
      for (int d = 0; d < D; d++) {
        double h = g[ox + d] * theta[off + d];
        sh += h;
        shx += h * xh[ox + d];
      }
      double mhx = shx / D;
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        int vj = v == null ? 0 : vv.offset() + j * vv.stride();
        double mdx = 0;
        double r = 0;
        double shdx = 0;
        double su = 0;
        double sux = 0;
        for (int d = 0; d < D; d++) {
          if (dx != null) {
            mdx += dx[o + d];
            r += xh[ox + d] * dx[o + d];
            shdx += g[ox + d] * theta[off + d] * dx[o + d];
          }
          if (v != null) {
            double u = g[ox + d] * v[vj + d];
            su += u;
            sux += u * xh[ox + d];
          }
        }
        mdx /= D;
        r /= D;
        double mhdxh = (shdx - mdx * sh - r * shx) * is / D;
        for (int d = 0; d < D; d++) {
          double xv = xh[ox + d];
          double dxh = dx != null ? (dx[o + d] - mdx - xv * r) * is : 0;
          if (hv != null)
            hv[hvv.offset() + j * hvv.stride() + d] += g[ox + d] * dxh;
          if (dgIn == null)
            continue;
          double A = g[ox + d] * theta[off + d] - sh / D - xv * mhx;
          dgIn[o + d] -= r * is * is * A;
          if (v != null)
            dgIn[o + d] += is * (g[ox + d] * v[vj + d] - su / D - xv * sux / D);
          dgIn[o + d] -= is * (dxh * mhx + xv * mhdxh);
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
