package org.hesse.hvp.rules;

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
 */
public final class LayerNormSecondOrder implements SecondOrderRule {
  private static final double[][] NO_TANGENT = new double[1][];

  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.LayerNorm.class;
  }


  static final class Prep {
    final double[] invStd;
    final double[] xhat;

    Prep(double[] invStd, double[] xhat) {
      this.invStd = invStd;
      this.xhat = xhat;
    }
  }

  @Override
  public Object prepare(Primal node, Object previous) {
    Layer layer = node.layer;
    double[] x = node.x();
    int batch = node.batch;
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int rows = batch * ln.groups();
    double[] mean = new double[rows];
    boolean reuse = previous instanceof Prep && ((Prep) previous).xhat.length == rows * D;
    double[] invStd = reuse ? ((Prep) previous).invStd : new double[rows];
    ln.statistics(x, rows, mean, invStd);
    double[] xhat = reuse ? ((Prep) previous).xhat : new double[rows * D];
    for (int n = 0; n < rows; n++) {
      for (int d = 0; d < D; d++) xhat[n * D + d] = (x[n * D + d] - mean[n]) * invStd[n];
    }
    return new Prep(invStd, xhat);
  }

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

  /** The Gauss-Newton part: the fused backward tangent without its residual terms. */
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    backwardTangent(node, dg, NO_TANGENT, null, dgIns, hv, true, k, scratch);
  }

  /** Fused (its residual terms reuse the per-sample sums of the linear part): only {@link #backwardTangent} adds them. */
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    throw new UnsupportedOperationException("LayerNormSecondOrder is fused: use backwardTangent");
  }

  /** Fused override: one sweep forms the Gauss-Newton part and, unless gaussNewton, the residual terms. */
  @Override
  public void backwardTangent(Primal node, double[] dg, double[][] dxs, View vv, double[][] dgIns, View hvv,
                              boolean gaussNewton, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    double[] theta = node.theta;
    int off = node.off;
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
    LayerNorm ln = (LayerNorm) layer;
    int D = ln.width();
    int G = ln.groups();
    int S = ln.inputSize();
    Prep pr = (Prep) prep;
    double[] xh = pr.xhat;
    boolean full = !gaussNewton;
    for (int row = 0; row < batch * G; row++) {
      int n = row / G;
      int grp = row - n * G;  // the group of sample n: per-sample values at row·D, tangents at (n·k + j)·S + grp·D
      double is = pr.invStd[row];
      int ox = row * D;
      double sh = 0;
      double shx = 0;
      if (full) {
        for (int d = 0; d < D; d++) {
          double h = g[ox + d] * theta[off + d];
          sh += h;
          shx += h * xh[ox + d];
        }
      }
      for (int j = 0; j < k; j++) {
        int o = (n * k + j) * S + grp * D;
        double sdh = 0;
        double sdhx = 0;
        double mdx = 0;
        double r = 0;
        double shdx = 0;
        double su = 0;
        double sux = 0;
        for (int d = 0; d < D; d++) {
          double dh = dg[o + d] * theta[off + d];
          sdh += dh;
          sdhx += dh * xh[ox + d];
          if (full && dx != null) {
            mdx += dx[o + d];
            r += xh[ox + d] * dx[o + d];
            shdx += g[ox + d] * theta[off + d] * dx[o + d];
          }
          if (full && v != null) {
            double u = g[ox + d] * v[vOff + j * vStride + d];
            su += u;
            sux += u * xh[ox + d];
          }
        }
        mdx /= D;
        r /= D;
        double mhdxh = (shdx - mdx * sh - r * shx) * is / D;  // mean(h·dx̂)
        double mhx = shx / D;
        for (int d = 0; d < D; d++) {
          double xv = xh[ox + d];
          double dxh = full && dx != null ? (dx[o + d] - mdx - xv * r) * is : 0;
          if (hv != null) {
            hv[hvOff + j * hvStride + d] += dg[o + d] * xv + (full ? g[ox + d] * dxh : 0);
            hv[hvOff + j * hvStride + D + d] += dg[o + d];
          }
          if (dgIn == null) continue;
          double t = is * (dg[o + d] * theta[off + d] - sdh / D - xv * sdhx / D);
          if (full) {
            double A = g[ox + d] * theta[off + d] - sh / D - xv * mhx;
            t -= r * is * is * A;
            if (v != null) t += is * (g[ox + d] * v[vOff + j * vStride + d] - su / D - xv * sux / D);
            t -= is * (dxh * mhx + xv * mhdxh);
          }
          dgIn[o + d] = t;
        }
      }
    }
  }
}
