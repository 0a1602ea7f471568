package org.hesse.hvp.curvature;

import java.util.Arrays;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;

/**
 * Activation-space curvature: per-sample second derivatives of the loss with respect to layer outputs,
 * {@code H_vw = (1/N) Σ_n ∂²ℓ_n / ∂f_v[n] ∂f_w[n]} (no cross-sample terms), where f_v is the output of
 * layer v of the layer list (an activation layer's output is its activation). Split as
 * {@code H = H^GN + H^T}: the Gauss-Newton part and the "tensor" part carrying the first-order signal,
 * with the GN-Gap {@code ‖H^T‖_F / (‖H^GN‖_F + 1e-12)}.
 */
public final class ActivationSpace {
  /** The regulariser of the GN-Gap's denominator. */
  public static final double GN_GAP_EPSILON = 1e-12;
  /** Directions per pass when building a block column by column (bounds the tangent buffers). */
  static final int DIRECTIONS_PER_PASS = 64;

  private final Curvature c;

  public ActivationSpace(Curvature c) {
    this.c = c;
  }

  /** The three blocks of a pair of layers, row-major width(v) × width(w). */
  public static final class Blocks {
    public final int rows;
    public final int cols;
    public final double[] hessian;
    public final double[] gaussNewton;
    public final double[] tensor;

    Blocks(int rows, int cols, double[] h, double[] gn) {
      this.rows = rows;
      this.cols = cols;
      this.hessian = h;
      this.gaussNewton = gn;
      this.tensor = new double[h.length];
      for (int i = 0; i < h.length; i++) tensor[i] = h[i] - gn[i];
    }

    /** ‖H^T‖_F / (‖H^GN‖_F + 1e-12). */
    public double gnGap() {
      return frobenius(tensor) / (frobenius(gaussNewton) + GN_GAP_EPSILON);
    }
  }

  /** H_vw and its split for the outputs of layers v ≤ w. */
  public Blocks blocks(int v, int w) {
    return new Blocks(width(v), width(w), block(Kind.HESSIAN, v, w), block(Kind.GGN, v, w));
  }

  /** Row-major width(v) × width(w) block of the given kind for layer outputs v ≤ w. */
  public double[] block(Kind kind, int v, int w) {
    Network net = c.net;
    if (v < 0 || w >= net.depth() || v > w) {
      throw new IllegalArgumentException("layers: expected 0 ≤ v ≤ w < " + net.depth() + ", got v = " + v + ", w = " + w);
    }
    c.requirePerSample("activation-space blocks");
    int av = v + 1;
    int aw = w + 1;
    int rows = net.width(av);
    int cols = net.width(aw);
    MemoryBudget.current().checkDoubles(rows, cols, "activation-space block (" + v + ", " + w + ")");
    double[] out = new double[rows * cols];
    int k = Math.min(cols, DIRECTIONS_PER_PASS);
    TangentPass pass = new TangentPass(c);
    double[] dx = new double[c.maxBatch * k * cols];
    double[] dg = new double[c.maxBatch * k * rows];
    c.forEachBatch((bi, b) -> {
      for (int j0 = 0; j0 < cols; j0 += k) {
        int kk = Math.min(k, cols - j0);
        // the same unit directions e_{j0..j0+kk} at f_w for every sample
        Arrays.fill(dx, 0, b.rows * kk * cols, 0.0);
        for (int n = 0; n < b.rows; n++) for (int j = 0; j < kk; j++) dx[(n * kk + j) * cols + j0 + j] = 1.0;
        c.activationPass(kind, net.activation(aw), net.activation(av), b, dx, dg, kk, pass);
        // Σ_n over samples: row (n, j) of dg is column j0+j of the block for sample n
        for (int n = 0; n < b.rows; n++) {
          for (int j = 0; j < kk; j++) {
            int r = (n * kk + j) * rows;
            for (int i = 0; i < rows; i++) out[i * cols + j0 + j] += dg[r + i];
          }
        }
      }
    });
    return out;
  }

  private int width(int layer) {
    return c.net.width(layer + 1);
  }

  static double frobenius(double[] a) {
    double s = 0;
    for (double x : a) s += x * x;
    return Math.sqrt(s);
  }
}
