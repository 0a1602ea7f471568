package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;

import java.util.Arrays;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.Mode;

/**
 * Second-order rules of batch normalisation {@code y = γ x̂ + β}, per channel c over the m = batch·S values of
 * the batch (S spatial positions per sample); "mean" below is over those m values, separately for every
 * direction j of the k-direction layout. With {@code s = √(σ² + ε)}, {@code x̂ = (x − μ)/s}, the direction
 * (dx, v_γ, v_β), the gradient signal g at y and its tangent dg:
 *
 * <p><b>Batch statistics</b> (ANALYSIS; TRAIN is run as ANALYSIS by the curvature engine). The samples are
 * coupled: the Hessian over a data set depends on its partition into batches, which {@code Curvature} makes
 * explicit (contiguous batches of batchSize rows, the last partial).
 * <pre>
 *   r    = mean(x̂·dx)                                     (= ds)
 *   dx̂   = (dx − mean(dx))/s − x̂·r/s
 *   dy   = γ dx̂ + v_γ x̂ + v_β
 *   gx   = a·A,  a = γ/s,  A = g − mean(g) − x̂·mean(g·x̂)   (the VJP)
 *   dgx  = a (dg − mean(dg) − x̂·mean(dg·x̂))                 [GGN: this term only]
 *        + (v_γ/s − a r/s)·A − a (dx̂·mean(g·x̂) + x̂·mean(g·dx̂))
 *   (Hv)_γ += Σ dg·x̂ + Σ g·dx̂                              [GGN: Σ dg·x̂]
 *   (Hv)_β += Σ dg
 * </pre>
 * ({@code mean(g·dx̂) = (Σ g·dx − mean(dx)·Σ g − r·Σ g·x̂)/(m s)}.)
 *
 * <p><b>Running statistics</b> (EVAL): a per-channel affine map, {@code x̂ = (x − running_mean)/s_r},
 * <pre>
 *   dy = (γ/s_r) dx + v_γ x̂ + v_β
 *   dgx = (γ/s_r) dg + (v_γ/s_r) g                            [GGN: first term]
 *   (Hv)_γ += Σ dg·x̂ + Σ g·dx/s_r                            [GGN: Σ dg·x̂]
 *   (Hv)_β += Σ dg
 * </pre>
 *
 * <p>The backward tangent is BackPACK's split ({@link #vjpTangent}, {@link #residualTerms}); the fused body it
 * replaced was not measurably faster: full HVP split / fused = 1.016 (quartiles 0.984, 1.051) on the conv net of
 * {@code org.hesse.bench.SplitVsFused} (BN split only, conv fused; 81 interleaved rounds, thread CPU time, the fused
 * body from commit 1350691 registered at run time). dgx is formed by the same operations in the same order, so the
 * GGN is bitwise unchanged.
 */
public final class BatchNormSecondOrder implements SecondOrderRule {
  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.BatchNorm.class;
  }


  /** The statistics of one batch and its x̂ (batch × width). */
  @Float32Twin
  static final class Prep {
    final boolean batchStats;
    @Float32Twin.Keep final double[] invStd;  // the statistics stay float64 in the twin
    final double[] xhat;

    Prep(boolean batchStats, @Float32Twin.Keep double[] invStd, double[] xhat) {
      this.batchStats = batchStats;
      this.invStd = invStd;
      this.xhat = xhat;
    }
  }

  @Float32Twin
  @Override
  public Object prepare(Primal node, Object previous) {
    Layer layer = node.layer;
    LayerContext ctx = node.ctx;
    double[] x = node.x();
    int batch = node.batch;
    BatchNorm bn = (BatchNorm) layer;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    @Float32Twin.Keep double[] mean = new double[C];
    // TRAIN is differentiated as ANALYSIS: batch statistics, nothing updated
    Mode mode = ctx.mode() == Mode.EVAL ? Mode.EVAL : Mode.ANALYSIS;
    boolean reuse = previous instanceof Prep && ((Prep) previous).xhat.length == batch * w;
    @Float32Twin.Keep double[] invStd = reuse ? ((Prep) previous).invStd : new double[C];
    bn.normalisation(x, batch, mode, ctx.buffers(), ctx.bufferOffset(), mean, invStd);
    double[] xhat = reuse ? ((Prep) previous).xhat : new double[batch * w];
    for (int n = 0; n < batch; n++) {
      for (int c = 0; c < C; c++) {
        int o = n * w + c * S;
        for (int p = 0; p < S; p++) xhat[o + p] = (x[o + p] - mean[c]) * invStd[c];
      }
    }
    return new Prep(mode != Mode.EVAL, invStd, xhat);
  }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View vv, double[] dz, int k, Scratch scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    double[] theta = node.theta;
    int off = node.off;
    double[] x = node.x();
    int batch = node.batch;
    double[] dx = dxs[0];
    double[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    BatchNorm bn = (BatchNorm) layer;
    Prep pr = (Prep) prep;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * w, 0.0);
      return;
    }
    double m = (double) batch * S;
    double[] xh = pr.xhat;
    for (int j = 0; j < k; j++) {
      for (int c = 0; c < C; c++) {
        double is = pr.invStd[c];
        double gamma = theta[off + c];
        double vg = v == null ? 0 : v[vOff + j * vStride + c];
        double vb = v == null ? 0 : v[vOff + j * vStride + C + c];
        double mdx = 0;
        double r = 0;
        if (dx != null && pr.batchStats) {
          double sdx = 0;
          double sxdx = 0;
          for (int n = 0; n < batch; n++) {
            int o = (n * k + j) * w + c * S;
            int ox = n * w + c * S;
            for (int p = 0; p < S; p++) {
              sdx += dx[o + p];
              sxdx += xh[ox + p] * dx[o + p];
            }
          }
          mdx = sdx / m;
          r = sxdx / m;
        }
        double a = gamma * is;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double xv = xh[ox + p];
            // batch: γ dx̂ = a (dx − mean(dx) − x̂ r); running statistics: mdx = r = 0
            double t = dx == null ? 0 : a * (dx[o + p] - mdx - xv * r);
            dz[o + p] = t + vg * xv + vb;
          }
        }
      }
    }
  }

  /**
   * The Gauss-Newton part: {@code (Hv)_γ += Σ dg·x̂}, {@code (Hv)_β += Σ dg}, {@code dgx = a (dg − mean(dg) −
   * x̂·mean(dg·x̂))} (running statistics: {@code (γ/s_r) dg}).
   */
  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null) return;
    BatchNorm bn = (BatchNorm) node.layer;
    Prep pr = (Prep) node.prep;
    int batch = node.batch;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    double m = (double) batch * S;
    double[] xh = pr.xhat;
    for (int c = 0; c < C; c++) {
      double a = node.theta[node.off + c] * pr.invStd[c];
      for (int j = 0; j < k; j++) {
        double sdg = 0;
        double sdgx = 0;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double d = dg[o + p];
            sdg += d;
            sdgx += d * xh[ox + p];
          }
        }
        if (hv != null) {
          hv[hvv.offset() + j * hvv.stride() + c] += sdgx;
          hv[hvv.offset() + j * hvv.stride() + C + c] += sdg;
        }
        if (dgIn == null) continue;
        double mdg = pr.batchStats ? sdg / m : 0;
        double mdgx = pr.batchStats ? sdgx / m : 0;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) dgIn[o + p] = a * (dg[o + p] - mdg - xh[ox + p] * mdgx);
        }
      }
    }
  }

  /**
   * The terms carrying g: {@code (Hv)_γ += Σ g·dx̂}, {@code dgx += (v_γ/s − a r/s)·A − a (dx̂·mean(g·x̂) +
   * x̂·mean(g·dx̂))} (running statistics: {@code Σ g·dx/s_r} and {@code (v_γ/s_r) g}).
   */
  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View vv, double[][] dgIns, View hvv, int k, Scratch scratch) {
    double[] dx = dxs[0];
    double[] dgIn = dgIns[0];
    double[] hv = hvv == null ? null : hvv.array();
    if (hv == null && dgIn == null) return;
    if (dx == null && vv == null) return;
    BatchNorm bn = (BatchNorm) node.layer;
    Prep pr = (Prep) node.prep;
    double[] g = node.g;
    int batch = node.batch;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    double m = (double) batch * S;
    double[] xh = pr.xhat;
    for (int c = 0; c < C; c++) {
      double is = pr.invStd[c];
      double a = node.theta[node.off + c] * is;
      // g's sums do not depend on the direction
      double sg = 0;
      double sgx = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * w + c * S;
        for (int p = 0; p < S; p++) {
          sg += g[o + p];
          sgx += g[o + p] * xh[o + p];
        }
      }
      for (int j = 0; j < k; j++) {
        double sdx = 0;
        double sxdx = 0;
        double sgdx = 0;
        if (dx != null) {
          for (int n = 0; n < batch; n++) {
            int o = (n * k + j) * w + c * S;
            int ox = n * w + c * S;
            for (int p = 0; p < S; p++) {
              double e = dx[o + p];
              sdx += e;
              sxdx += xh[ox + p] * e;
              sgdx += g[ox + p] * e;
            }
          }
        }
        double vg = vv != null ? vv.array()[vv.offset() + j * vv.stride() + c] : 0;
        if (!pr.batchStats) {
          // running statistics: an affine map
          if (hv != null) hv[hvv.offset() + j * hvv.stride() + c] += sgdx * is;
          if (dgIn != null) {
            double b = vg * is;
            for (int n = 0; n < batch; n++) {
              int o = (n * k + j) * w + c * S;
              int ox = n * w + c * S;
              for (int p = 0; p < S; p++) dgIn[o + p] += b * g[ox + p];
            }
          }
          continue;
        }
        double mdx = sdx / m;
        double r = sxdx / m;
        // Σ g·dx̂ = (Σ g·dx − mean(dx) Σ g − r Σ g·x̂)/s
        double sgdxh = (sgdx - mdx * sg - r * sgx) * is;
        if (hv != null) hv[hvv.offset() + j * hvv.stride() + c] += sgdxh;
        if (dgIn == null) continue;
        double mg = sg / m;
        double mgx = sgx / m;
        double mgdxh = sgdxh / m;
        double coefA = vg * is - a * r * is;  // d(γ/s) = v_γ/s − (γ/s) r/s
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double xv = xh[ox + p];
            double A = g[ox + p] - mg - xv * mgx;
            double dxh = dx == null ? 0 : (dx[o + p] - mdx - xv * r) * is;
            dgIn[o + p] += coefA * A - a * (dxh * mgx + xv * mgdxh);
          }
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  static final class Prep32 {

    final boolean batchStats;

    @Float32Twin.Keep
    final double[] invStd;

    final float[] xhat;

    Prep32(boolean batchStats, @Float32Twin.Keep double[] invStd, float[] xhat) {
      this.batchStats = batchStats;
      this.invStd = invStd;
      this.xhat = xhat;
    }
  }

  @Override
  public Object prepare(Primal32 node, Object previous) {
    Layer layer = node.layer;
    LayerContext ctx = node.ctx;
    float[] x = node.x();
    int batch = node.batch;
    BatchNorm bn = (BatchNorm) layer;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    @Float32Twin.Keep
    double[] mean = new double[C];
    Mode mode = ctx.mode() == Mode.EVAL ? Mode.EVAL : Mode.ANALYSIS;
    boolean reuse = previous instanceof Prep32 && ((Prep32) previous).xhat.length == batch * w;
    @Float32Twin.Keep
    double[] invStd = reuse ? ((Prep32) previous).invStd : new double[C];
    bn.normalisation(x, batch, mode, ctx.buffers(), ctx.bufferOffset(), mean, invStd);
    float[] xhat = reuse ? ((Prep32) previous).xhat : new float[batch * w];
    for (int n = 0; n < batch; n++) {
      for (int c = 0; c < C; c++) {
        int o = n * w + c * S;
        for (int p = 0; p < S; p++) xhat[o + p] = (float) ((x[o + p] - mean[c]) * invStd[c]);
      }
    }
    return new Prep32(mode != Mode.EVAL, invStd, xhat);
  }

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 vv, float[] dz, int k, Scratch32 scratch) {
    Layer layer = node.layer;
    Object prep = node.prep;
    float[] theta = node.theta;
    int off = node.off;
    float[] x = node.x();
    int batch = node.batch;
    float[] dx = dxs[0];
    float[] v = vv == null ? null : vv.array();
    int vOff = vv == null ? 0 : vv.offset();
    int vStride = vv == null ? 0 : vv.stride();
    BatchNorm bn = (BatchNorm) layer;
    Prep32 pr = (Prep32) prep;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    if (dx == null && v == null) {
      Arrays.fill(dz, 0, batch * k * w, 0.0f);
      return;
    }
    double m = (double) batch * S;
    float[] xh = pr.xhat;
    for (int j = 0; j < k; j++) {
      for (int c = 0; c < C; c++) {
        double is = pr.invStd[c];
        double gamma = theta[off + c];
        double vg = v == null ? 0 : v[vOff + j * vStride + c];
        double vb = v == null ? 0 : v[vOff + j * vStride + C + c];
        double mdx = 0;
        double r = 0;
        if (dx != null && pr.batchStats) {
          double sdx = 0;
          double sxdx = 0;
          for (int n = 0; n < batch; n++) {
            int o = (n * k + j) * w + c * S;
            int ox = n * w + c * S;
            for (int p = 0; p < S; p++) {
              sdx += dx[o + p];
              sxdx += xh[ox + p] * dx[o + p];
            }
          }
          mdx = sdx / m;
          r = sxdx / m;
        }
        double a = gamma * is;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double xv = xh[ox + p];
            double t = dx == null ? 0 : a * (dx[o + p] - mdx - xv * r);
            dz[o + p] = (float) (t + vg * xv + vb);
          }
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
    BatchNorm bn = (BatchNorm) node.layer;
    Prep32 pr = (Prep32) node.prep;
    int batch = node.batch;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    double m = (double) batch * S;
    float[] xh = pr.xhat;
    for (int c = 0; c < C; c++) {
      double a = node.theta[node.off + c] * pr.invStd[c];
      for (int j = 0; j < k; j++) {
        double sdg = 0;
        double sdgx = 0;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double d = dg[o + p];
            sdg += d;
            sdgx += d * xh[ox + p];
          }
        }
        if (hv != null) {
          hv[hvv.offset() + j * hvv.stride() + c] += sdgx;
          hv[hvv.offset() + j * hvv.stride() + C + c] += sdg;
        }
        if (dgIn == null)
          continue;
        double mdg = pr.batchStats ? sdg / m : 0;
        double mdgx = pr.batchStats ? sdgx / m : 0;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) dgIn[o + p] = (float) (a * (dg[o + p] - mdg - xh[ox + p] * mdgx));
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
    BatchNorm bn = (BatchNorm) node.layer;
    Prep32 pr = (Prep32) node.prep;
    float[] g = node.g;
    int batch = node.batch;
    int C = bn.channels();
    int S = bn.spatial();
    int w = bn.inputSize();
    double m = (double) batch * S;
    float[] xh = pr.xhat;
    for (int c = 0; c < C; c++) {
      double is = pr.invStd[c];
      double a = node.theta[node.off + c] * is;
      double sg = 0;
      double sgx = 0;
      for (int n = 0; n < batch; n++) {
        int o = n * w + c * S;
        for (int p = 0; p < S; p++) {
          sg += g[o + p];
          sgx += g[o + p] * xh[o + p];
        }
      }
      for (int j = 0; j < k; j++) {
        double sdx = 0;
        double sxdx = 0;
        double sgdx = 0;
        if (dx != null) {
          for (int n = 0; n < batch; n++) {
            int o = (n * k + j) * w + c * S;
            int ox = n * w + c * S;
            for (int p = 0; p < S; p++) {
              double e = dx[o + p];
              sdx += e;
              sxdx += xh[ox + p] * e;
              sgdx += g[ox + p] * e;
            }
          }
        }
        double vg = vv != null ? vv.array()[vv.offset() + j * vv.stride() + c] : 0;
        if (!pr.batchStats) {
          if (hv != null)
            hv[hvv.offset() + j * hvv.stride() + c] += sgdx * is;
          if (dgIn != null) {
            double b = vg * is;
            for (int n = 0; n < batch; n++) {
              int o = (n * k + j) * w + c * S;
              int ox = n * w + c * S;
              for (int p = 0; p < S; p++) dgIn[o + p] += b * g[ox + p];
            }
          }
          continue;
        }
        double mdx = sdx / m;
        double r = sxdx / m;
        double sgdxh = (sgdx - mdx * sg - r * sgx) * is;
        if (hv != null)
          hv[hvv.offset() + j * hvv.stride() + c] += sgdxh;
        if (dgIn == null)
          continue;
        double mg = sg / m;
        double mgx = sgx / m;
        double mgdxh = sgdxh / m;
        double coefA = vg * is - a * r * is;
        for (int n = 0; n < batch; n++) {
          int o = (n * k + j) * w + c * S;
          int ox = n * w + c * S;
          for (int p = 0; p < S; p++) {
            double xv = xh[ox + p];
            double A = g[ox + p] - mg - xv * mgx;
            double dxh = dx == null ? 0 : (dx[o + p] - mdx - xv * r) * is;
            dgIn[o + p] += coefA * A - a * (dxh * mgx + xv * mgdxh);
          }
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
