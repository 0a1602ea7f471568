package org.hesse.hvp.curvature;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Network;
import org.hesse.nn.Node;

/**
 * The trace of a dense layer's own block from its Kronecker structure, without a parameter product. The block is
 * exactly {@code H_W = Σ_n M_n ⊗ ã_n ã_nᵀ} (see {@link DenseLayerBlock}; ã_n = [a_n; 1] the layer input with the
 * bias's 1, M_n the output Hessian of sample n at the layer output z_n carrying the 1/N weight: for the Hessian with
 * the residual terms of later layers, for the GGN without), so
 * <pre>
 *   tr H_W = Σ_n (‖a_n‖² + 1) tr M_n.
 * </pre>
 * tr M_n comes from tangent passes started at the layer's output (the network above the layer, forward and back;
 * no GEMM with the layer's input), every sample with its own direction in the same pass:
 * <ul>
 *   <li><b>exact</b> ({@code per-sample-exact}) with the {@code out} unit directions, when {@code out ≤}
 *       {@link #EXACT_MAX_OUTPUTS} (a classifier's last layer);</li>
 *   <li><b>estimated</b> ({@code per-sample}) otherwise: P = {@link #PROBES_PER_SAMPLE} Rademacher probes u_np per
 *       sample, {@code T = Σ_n w_n (1/P) Σ_p u_npᵀ M_n u_np} with w_n = ‖a_n‖² + 1: Hutchinson with N·P independent
 *       probes for the price of P directions. Unbiased; {@code Var T = Σ_n w_n² · 2 Σ_{i≠j} M_n[i,j]² / P}, estimated
 *       without bias from each sample's spread, {@code Σ_n w_n² s_n² / P} (s_n² the sample variance of sample n's P
 *       forms), whose square root is the reported standard error.</li>
 * </ul>
 * Valid for an affine layer on flat samples (one node; in a graph, with whatever input it reads) whose tensors no
 * other layer uses, when the samples are not coupled ({@link #applies}).
 */
public final class DenseLayerTrace {
  /** Rademacher probes per sample of the estimate: two, the fewest that give each sample's spread. */
  public static final int PROBES_PER_SAMPLE = 2;
  /**
   * Layers with at most this many outputs get the exact trace ({@code out} directions per pass instead of
   * {@link #PROBES_PER_SAMPLE}): a 10-class output layer, whose passes stop at the loss, costs next to nothing.
   */
  public static final int EXACT_MAX_OUTPUTS = 16;
  /** Trace source of the estimate. */
  public static final String ESTIMATE = "per-sample";
  /** Trace source of the exact value. */
  public static final String EXACT = "per-sample-exact";

  private DenseLayerTrace() {}

  /**
   * Whether the structure holds for layer {@code layer}: an affine layer on flat samples ({@code Layer#affine}),
   * its tensors its own, and per-sample output Hessians defined (no batch statistics coupling the samples).
   */
  public static boolean applies(Curvature c, int layer) {
    Network net = c.net;
    return layer >= 0 && layer < net.depth() && net.layer(layer).affine() && net.firstNode(layer) == net.lastNode(layer)
        && !net.sharesTensors(layer) && c.perSampleDefined();
  }

  /** The layer's one node (a graph's dense node may read any earlier activation, not the previous layer's output). */
  private static Node node(Curvature c, int layer) {
    return c.net.node(c.net.firstNode(layer));
  }

  /**
   * The trace of layer {@code layer}'s block of the given kind: exact when the layer has at most
   * {@link #EXACT_MAX_OUTPUTS} outputs (standard error 0, method {@link #EXACT}), else the per-sample estimate
   * with {@link #PROBES_PER_SAMPLE} probes drawn from {@code seed} (method {@link #ESTIMATE}).
   *
   * @return the value; {@code samples} the quadratic forms that entered, {@code applications} the directions per
   *     sample of the passes started at the layer output (not parameter products)
   * @throws IllegalArgumentException when the structure does not hold ({@link #applies})
   */
  public static TraceEstimate of(Curvature c, Kind kind, int layer, long seed) {
    if (!applies(c, layer)) {
      throw new IllegalArgumentException("layer " + layer + ": expected a dense layer on flat samples with its own "
          + "tensors and samples not coupled by batch statistics, for the per-sample trace");
    }
    int out = c.net.layer(layer).outputSize();
    return out <= EXACT_MAX_OUTPUTS ? exact(c, kind, layer) : estimate(c, kind, layer, PROBES_PER_SAMPLE, seed);
  }

  /** Σ_n w_n tr M_n with the {@code out} unit directions at the layer output. */
  static TraceEstimate exact(Curvature c, Kind kind, int layer) {
    int out = c.net.layer(layer).outputSize();
    double[] w = new double[c.samples];
    double[] perSample = forms(c, kind, layer, out, null, w);  // u = e_j: the diagonal of M_n
    double t = 0;
    for (int n = 0; n < c.samples; n++) {
      double tr = 0;
      for (int j = 0; j < out; j++) tr += perSample[n * out + j];
      t += w[n] * tr;
    }
    return new TraceEstimate(t, 0.0, c.samples * out, out, EXACT);
  }

  /** The per-sample Hutchinson estimate with {@code probes} ≥ 2 Rademacher probes per sample. */
  static TraceEstimate estimate(Curvature c, Kind kind, int layer, int probes, long seed) {
    if (probes < 2) throw new IllegalArgumentException("probes: expected at least 2 per sample (for the spread), got " + probes);
    double[] weights = new double[c.samples];
    double[] q = forms(c, kind, layer, probes, new SplittableRandom(seed), weights);
    double t = 0;
    double var = 0;
    for (int n = 0; n < c.samples; n++) {
      double mean = 0;
      for (int p = 0; p < probes; p++) mean += q[n * probes + p];
      mean /= probes;
      double ss = 0;
      for (int p = 0; p < probes; p++) {
        double d = q[n * probes + p] - mean;
        ss += d * d;
      }
      double w = weights[n];
      t += w * mean;
      var += w * w * ss / (probes - 1) / probes;
    }
    return new TraceEstimate(t, Math.sqrt(var), c.samples * probes, probes, ESTIMATE);
  }

  /**
   * Per sample n and direction d, {@code u_ndᵀ M_n u_nd} (N × k, sample-major): u the unit vectors e_d when
   * {@code rng} is null (k = out), else Rademacher vectors drawn sample by sample in the data's order. Fills
   * {@code weights[n]} with w_n = ‖a_n‖² + 1 (sample n's layer input with the bias's 1) in the same loop over the
   * batches (one pass over the data, also when the curvature streams them).
   */
  private static double[] forms(Curvature c, Kind kind, int layer, int k, SplittableRandom rng, double[] weights) {
    Network net = c.net;
    int in = net.layer(layer).inputSize();
    int out = net.layer(layer).outputSize();
    int a = node(c, layer).output();
    int input = node(c, layer).input(0);
    TangentPass pass = new TangentPass(c);
    double[] u = new double[c.maxBatch * k * out];
    double[] mu = new double[c.maxBatch * k * out];
    double[] q = new double[c.samples * k];
    c.forEachBatch((i, b) -> {
      int row = i * c.maxBatch;
      double[] x = b.ws.activation(input);
      for (int s = 0; s < b.rows; s++) {
        double w = 1;
        for (int j = s * in; j < (s + 1) * in; j++) w += x[j] * x[j];
        weights[row + s] = w;
      }
      int m = b.rows * k * out;
      if (rng == null) {
        Arrays.fill(u, 0, m, 0.0);
        for (int s = 0; s < b.rows; s++) for (int j = 0; j < k; j++) u[(s * k + j) * out + j] = 1.0;
      } else {
        for (int r = 0; r < m; r += 64) {
          long bits = rng.nextLong();
          for (int j = r; j < Math.min(m, r + 64); j++, bits >>>= 1) u[j] = (bits & 1) == 0 ? 1.0 : -1.0;
        }
      }
      // row (s, d) of mu is M_s u_(s,d)
      c.activationPass(kind, a, a, b, u, mu, k, pass);
      for (int r = 0; r < b.rows * k; r++) {
        double d = 0;
        for (int j = r * out; j < (r + 1) * out; j++) d += u[j] * mu[j];
        q[row * k + r] = d;
      }
    });
    return q;
  }
}
