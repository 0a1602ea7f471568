package org.hesse.hvp.monitor;

import java.util.SplittableRandom;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.nn.Network;

/**
 * Every parametrised layer's Hessian (or GGN) trace from P full products with Rademacher probes: one k-direction
 * pass of the full operator on P directions z_p taking per layer l only the sample {@code q_lp = z_pᵀ_l (H z_p)_l}
 * (z_l the part of z on layer l's parameters; {@link CurvatureOperator#quadraticForms}). {@code E[q_lp] = tr(H_ll)}; the estimate is the mean over p and
 * its standard error the sample standard deviation over √P.
 *
 * <p>Variance of one sample. Write {@code q_l = zᵀ A z} with {@code A = E_l H} (E_l the 0/1 diagonal selecting
 * layer l's coordinates); a quadratic form only sees the symmetric part {@code S = (A + Aᵀ)/2}, whose entries
 * are {@code H_ij} for i, j both in l, {@code H_ij/2} for exactly one of them in l, 0 otherwise. For independent
 * Rademacher entries (z_i² = 1, E[z_i z_j z_k z_m] = 1 only when the indices pair up), {@code E[zᵀSz] = tr S}
 * and {@code Var[zᵀSz] = 2 Σ_{i≠j} S_ij²}. Hence
 * <pre>
 *   Var[q_l] = 2 Σ_{i≠j ∈ l} H_ij²  +  Σ_{i ∈ l} Σ_{j ∉ l} H_ij²
 *            = 2 (‖H_ll‖_F² − Σ_{i∈l} H_ii²) + Σ_{m≠l} ‖H_lm‖_F²
 * </pre>
 * The second term is what a full-vector probe pays over a probe of layer l alone: the off-diagonal blocks of
 * layer l's rows enter once each (their halves, squared, counted from both sides). {@link #variance} computes it
 * from a dense matrix.
 *
 * <p>Weight-shared parameters (one tensor used at several places of the graph) are one parameter: the probes are
 * over the unique parameters and the full operator is {@code EᵀHE} (every use gets the probe, the uses' products
 * are summed), so each layer's estimate is of its block of the tied Hessian, assembled before the second
 * differentiation; a shared tensor is in its first owner's layer ({@link Network#blockSize}).
 */
public final class LayerTraces {
  private LayerTraces() { }

  /** Per-layer estimates at one point: mean and standard error per entry of {@link Network#parametrisedLayers()}. */
  public record Estimate(double[] trace, double[] standardError, double[][] samples) { }

  /**
   * Draws P Rademacher probes from {@code rng}, takes the per-layer quadratic forms of the full operator on all of
   * them in one pass ({@link CurvatureOperator#quadraticForms}) and returns, per parametrised layer, the P samples,
   * their mean and standard error (NaN for P = 1).
   */
  public static Estimate estimate(Curvature c, Curvature.Kind kind, int probes, SplittableRandom rng) {
    CurvatureOperator op = c.full(kind);
    return estimate(op, probes, rng, new double[Math.max(probes, 1) * op.cols()]);
  }

  /**
   * As above on a full operator kept across calls (its buffers are reused; {@link Curvature#update} moves it), the
   * probes drawn into {@code z} (at least P × {@code op.cols()} values, overwritten): a monitor that calls this every
   * K steps allocates nothing large, so it does not pay for fresh memory (page faults, zeroing) at every call.
   */
  public static Estimate estimate(CurvatureOperator op, int probes, SplittableRandom rng, double[] z) {
    if (probes < 1) throw new IllegalArgumentException("probes: expected >= 1, got " + probes);
    int n = op.cols();
    if (z.length < probes * n) {
      throw new IllegalArgumentException("z: expected at least " + probes + " × " + n + " values, got " + z.length);
    }
    rademacher(rng, z, probes * n);
    double[][] q = op.quadraticForms(z, probes);
    double[] mean = new double[q.length];
    double[] se = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      for (int p = 0; p < probes; p++) mean[i] += q[i][p] / probes;
      double ss = 0;
      for (int p = 0; p < probes; p++) ss += (q[i][p] - mean[i]) * (q[i][p] - mean[i]);
      se[i] = probes < 2 ? Double.NaN : Math.sqrt(ss / (probes - 1) / probes);
    }
    return new Estimate(mean, se, q);
  }

  /** Signs by byte: entry 8·v + b is the sign of bit b of v (0 → +1, 1 → −1). */
  private static final double[] SIGNS = new double[256 * 8];

  static {
    for (int v = 0; v < 256; v++) for (int b = 0; b < 8; b++) SIGNS[8 * v + b] = 1.0 - 2.0 * ((v >>> b) & 1);
  }

  /**
   * z[0, len) = independent ±1, bit b of the i-th draw {@code rng.nextLong()} giving entry 64·i + b (1 → −1). Copied
   * from a table a byte at a time: half the time of a loop over the bits, at half a millisecond per call of the
   * monitor on the Fashion-MNIST MLP (5 × 109 386 signs).
   */
  static void rademacher(SplittableRandom rng, double[] z, int len) {
    int whole = len / 64 * 64;
    for (int i = 0; i < whole; i += 64) {
      long bits = rng.nextLong();
      for (int q = 0; q < 8; q++) System.arraycopy(SIGNS, 8 * (int) ((bits >>> (8 * q)) & 0xFF), z, i + 8 * q, 8);
    }
    if (whole < len) {
      long bits = rng.nextLong();
      for (int b = 0; whole + b < len; b++) z[whole + b] = 1.0 - 2.0 * ((bits >>> b) & 1L);
    }
  }

  /**
   * The exact variance of one sample {@code z_lᵀ(Hz)_l} for a Rademacher z over all coordinates, layer l being the
   * coordinates {@code [from, to)} of the symmetric dense matrix h (n × n, row-major): see the class comment.
   */
  public static double variance(double[] h, int n, int from, int to) {
    if (h.length != n * n) throw new IllegalArgumentException("h: expected " + n + " × " + n + " values, got " + h.length);
    if (from < 0 || from >= to || to > n) {
      throw new IllegalArgumentException("layer coordinates: expected 0 <= from < to <= " + n + ", got [" + from + ", " + to + ")");
    }
    double inside = 0;
    double across = 0;
    for (int i = from; i < to; i++) {
      for (int j = 0; j < n; j++) {
        double v = h[i * n + j] * h[i * n + j];
        if (j >= from && j < to) {
          if (j != i) inside += v;
        } else {
          across += v;
        }
      }
    }
    return 2 * inside + across;
  }
}
