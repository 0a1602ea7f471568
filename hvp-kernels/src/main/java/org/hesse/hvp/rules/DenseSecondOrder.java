package org.hesse.hvp.rules;

import java.util.Arrays;
import org.hesse.linalg.Gemm;
import org.hesse.nn.Dense;
import org.hesse.nn.Layer;
import org.hesse.precision.Float32Twin;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * Second-order rules of {@code z = x Wᵀ + b} (rows are samples; V, v_b the direction on W, b):
 * <pre>
 *   dz      = dx Wᵀ + x Vᵀ + v_b
 *   dg_x    = dg W  [+ g V]              (residual terms in brackets: skipped for the GGN)
 *   (Hv)_W += dgᵀ x [+ gᵀ dx]
 *   (Hv)_b += Σ_n dg_n
 * </pre>
 * For k directions the tangents are {@code batch × (k·width)} matrices whose column block j is direction j, so
 * the terms with W (dx Wᵀ, dg W) are one GEMM over all directions, and each term with V_j or a product block
 * is one GEMM on strided operands, read and written where they are (no copies).
 */
public final class DenseSecondOrder implements SecondOrderRule {
  private static final Kernels K = KernelProvider.get();

  @Override
  public Class<? extends Layer> layerType() {
    return org.hesse.nn.Dense.class;
  }

  // Per-sample values have T rows per sample (tokens), at row n·T + t; tangents at row (n·k + j)·T + t. A term with
  // a direction's V or a product block is one GEMM on strided operands per "segment": all samples at once for flat
  // samples (T = 1, rows n·k + j: row stride k·width), one sample at a time for tokens (T contiguous rows).

  private static int segments(int batch, int tokens) { return tokens == 1 ? 1 : batch; }

  private static int segmentRows(int batch, int tokens) { return tokens == 1 ? batch : tokens; }

  /** Offset of segment s of the per-sample values (width w). */
  private static int valueOffset(int s, int tokens, int w) { return s * tokens * w; }

  /** Offset of direction j of segment s of a tangent (width w). */
  private static int tangentOffset(int s, int j, int k, int tokens, int w) {
    return tokens == 1 ? j * w : (s * k + j) * tokens * w;
  }

  /** Row stride of a tangent segment (width w). */
  private static int tangentStride(int k, int tokens, int w) { return tokens == 1 ? k * w : w; }

  @Float32Twin
  @Override
  public void jvp(Primal node, double[][] dxs, View v, double[] dz, int k, Scratch scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    double[] dx = dxs[0];
    if (v != null) {
      double[] va = v.array();
      for (int j = 0; j < k; j++) {
        int vj = v.offset() + j * v.stride();
        for (int n = 0; n < batch; n++) {
          for (int t = 0; t < T; t++) System.arraycopy(va, vj + d.biasOffset(), dz, ((n * k + j) * T + t) * out, out);
        }
        for (int sg = 0; sg < segments(batch, T); sg++) {
          Gemm.gemm(false, true, segmentRows(batch, T), out, in, 1.0, node.x(), valueOffset(sg, T, in), in, va, vj, in,
              1.0, dz, tangentOffset(sg, j, k, T, out), tangentStride(k, T, out));
        }
      }
    }
    if (dx != null) {
      Gemm.gemm(false, true, batch * k * T, out, in, 1.0, dx, 0, node.theta, node.off, v != null ? 1.0 : 0.0, dz, 0);
    } else if (v == null) {
      Arrays.fill(dz, 0, batch * k * T * out, 0.0);
    }
  }

  @Float32Twin
  @Override
  public void vjpTangent(Primal node, double[] dg, double[][] dgIns, View hv, int k, Scratch scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    if (hv != null) {
      double[] h = hv.array();
      for (int j = 0; j < k; j++) {
        int hj = hv.offset() + j * hv.stride();
        for (int sg = 0; sg < segments(batch, T); sg++) {
          Gemm.gemm(true, false, out, in, segmentRows(batch, T), 1.0, dg, tangentOffset(sg, j, k, T, out),
              tangentStride(k, T, out), node.x(), valueOffset(sg, T, in), in, 1.0, h, hj, in);
        }
        int b = hj + d.biasOffset();
        for (int n = 0; n < batch; n++) {
          for (int t = 0; t < T; t++) {
            int r = ((n * k + j) * T + t) * out;
            for (int c = 0; c < out; c++) h[b + c] += dg[r + c];
          }
        }
      }
    }
    if (dgIns[0] != null) Gemm.gemm(false, false, batch * k * T, in, out, 1.0, dg, 0, node.theta, node.off, 0.0, dgIns[0], 0);
  }

  /**
   * Without an input tangent (a first layer) the output tangent is the parameter part alone, {@code dz = x Vᵀ + v_b},
   * so {@code ⟨V, dgᵀx⟩ + ⟨v_b, Σ_n dg_n⟩ = ⟨dg, dz⟩}: one pass over dz instead of the GEMM dgᵀx per direction, and no
   * residual term reaches the parameters (it is {@code gᵀdx}). With an input tangent the product is formed as usual.
   */
  @Float32Twin
  @Override
  public boolean quadraticForm(Primal node, double[] dg, double[] dz, double[][] dxs, View v, double[][] dgIns,
                               boolean gaussNewton, int k, Scratch scratch, double[] q, int qOff) {
    if (dxs[0] != null) return false;
    backwardTangent(node, dg, dxs, v, dgIns, null, gaussNewton, k, scratch);
    Dense d = (Dense) node.layer;
    int len = d.tokens() * d.outFeatures();  // one direction of one sample: T rows of the tangent
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) q[qOff + j] += K.dot(dg, (n * k + j) * len, dz, (n * k + j) * len, len);
    }
    return true;
  }

  @Float32Twin
  @Override
  public void residualTerms(Primal node, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    double[] dx = dxs[0];
    for (int j = 0; j < k; j++) {
      for (int sg = 0; sg < segments(batch, T); sg++) {
        int rows = segmentRows(batch, T);
        if (hv != null && dx != null) {
          Gemm.gemm(true, false, out, in, rows, 1.0, node.g, valueOffset(sg, T, out), out, dx,
              tangentOffset(sg, j, k, T, in), tangentStride(k, T, in), 1.0, hv.array(), hv.offset() + j * hv.stride(), in);
        }
        if (dgIns[0] != null && v != null) {
          Gemm.gemm(false, false, rows, in, out, 1.0, node.g, valueOffset(sg, T, out), out, v.array(),
              v.offset() + j * v.stride(), in, 1.0, dgIns[0], tangentOffset(sg, j, k, T, in), tangentStride(k, T, in));
        }
      }
    }
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  @Override
  public void jvp(Primal32 node, float[][] dxs, View32 v, float[] dz, int k, Scratch32 scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    float[] dx = dxs[0];
    if (v != null) {
      float[] va = v.array();
      for (int j = 0; j < k; j++) {
        int vj = v.offset() + j * v.stride();
        for (int n = 0; n < batch; n++) {
          for (int t = 0; t < T; t++) System.arraycopy(va, vj + d.biasOffset(), dz, ((n * k + j) * T + t) * out, out);
        }
        for (int sg = 0; sg < segments(batch, T); sg++) {
          Gemm.gemm(false, true, segmentRows(batch, T), out, in, 1.0, node.x(), valueOffset(sg, T, in), in, va, vj, in, 1.0, dz, tangentOffset(sg, j, k, T, out), tangentStride(k, T, out));
        }
      }
    }
    if (dx != null) {
      Gemm.gemm(false, true, batch * k * T, out, in, 1.0, dx, 0, node.theta, node.off, v != null ? 1.0 : 0.0, dz, 0);
    } else if (v == null) {
      Arrays.fill(dz, 0, batch * k * T * out, 0.0f);
    }
  }

  @Override
  public void vjpTangent(Primal32 node, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    if (hv != null) {
      float[] h = hv.array();
      for (int j = 0; j < k; j++) {
        int hj = hv.offset() + j * hv.stride();
        for (int sg = 0; sg < segments(batch, T); sg++) {
          Gemm.gemm(true, false, out, in, segmentRows(batch, T), 1.0, dg, tangentOffset(sg, j, k, T, out), tangentStride(k, T, out), node.x(), valueOffset(sg, T, in), in, 1.0, h, hj, in);
        }
        int b = hj + d.biasOffset();
        for (int n = 0; n < batch; n++) {
          for (int t = 0; t < T; t++) {
            int r = ((n * k + j) * T + t) * out;
            for (int c = 0; c < out; c++) h[b + c] += dg[r + c];
          }
        }
      }
    }
    if (dgIns[0] != null)
      Gemm.gemm(false, false, batch * k * T, in, out, 1.0, dg, 0, node.theta, node.off, 0.0, dgIns[0], 0);
  }

  @Override
  public boolean quadraticForm(Primal32 node, float[] dg, float[] dz, float[][] dxs, View32 v, float[][] dgIns, boolean gaussNewton, int k, Scratch32 scratch, float[] q, int qOff) {
    if (dxs[0] != null)
      return false;
    backwardTangent(node, dg, dxs, v, dgIns, null, gaussNewton, k, scratch);
    Dense d = (Dense) node.layer;
    int len = d.tokens() * d.outFeatures();
    for (int n = 0; n < node.batch; n++) {
      for (int j = 0; j < k; j++) q[qOff + j] += K.dot(dg, (n * k + j) * len, dz, (n * k + j) * len, len);
    }
    return true;
  }

  @Override
  public void residualTerms(Primal32 node, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 scratch) {
    Dense d = (Dense) node.layer;
    int in = d.inFeatures();
    int out = d.outFeatures();
    int T = d.tokens();
    int batch = node.batch;
    float[] dx = dxs[0];
    for (int j = 0; j < k; j++) {
      for (int sg = 0; sg < segments(batch, T); sg++) {
        int rows = segmentRows(batch, T);
        if (hv != null && dx != null) {
          Gemm.gemm(true, false, out, in, rows, 1.0, node.g, valueOffset(sg, T, out), out, dx, tangentOffset(sg, j, k, T, in), tangentStride(k, T, in), 1.0, hv.array(), hv.offset() + j * hv.stride(), in);
        }
        if (dgIns[0] != null && v != null) {
          Gemm.gemm(false, false, rows, in, out, 1.0, node.g, valueOffset(sg, T, out), out, v.array(), v.offset() + j * v.stride(), in, 1.0, dgIns[0], tangentOffset(sg, j, k, T, in), tangentStride(k, T, in));
        }
      }
    }
  }
  // ---- end of generated float32 twins ----
}
