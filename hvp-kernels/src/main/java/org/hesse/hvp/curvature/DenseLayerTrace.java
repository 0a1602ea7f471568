package org.hesse.hvp.curvature;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * The trace of a dense layer's own block from its Kronecker structure, without a parameter product. The block is
 * exactly {@code H_W = Σ_n M_n ⊗ ã_n ã_nᵀ} (see {@link DenseLayerBlock}; ã_n = [a_n; 1] the layer input with the
 * bias's 1, M_n the output Hessian of sample n at the layer output z_n carrying the 1/N weight: for the Hessian with
 * the residual terms of later layers, for the GGN without), so
 * <pre>
 *   tr H_W = Σ_n (‖a_n‖² + 1) tr M_n.
 * </pre>
 * tr M_n comes from passes through the network above the layer (no GEMM with the layer's input), every sample with
 * its own directions in the same pass, by the first route that holds:
 * <ul>
 *   <li><b>exact from the output side</b> ({@code per-sample-exact}, {@code C} directions) when M_n = J_nᵀ Λ_n J_n
 *       ({@link OutputJacobianBlock#exact}: every node above piecewise linear, or the GGN; J_n = ∂f_n/∂z_n, C × out,
 *       C the network's outputs, Λ_n the loss Hessian at the output) and {@code C ≤} {@link #EXACT_MAX_OUTPUTS} and
 *       {@code C < out}: {@code tr M_n = tr(Λ_n J_n J_nᵀ)} from the C unit tangents at the network output taken
 *       backward to z_n (no forward tangent; the pass of {@link OutputJacobianBlock#jacobianRows}), the C × C Gram
 *       J_n J_nᵀ and C loss-Hessian products per sample (the hidden layers of an MLP classifier);</li>
 *   <li><b>exact</b> ({@code per-sample-exact}) with the {@code out} unit directions started at the layer's output,
 *       forward and back, when {@code out ≤} {@link #EXACT_MAX_OUTPUTS} (a classifier's last layer);</li>
 *   <li><b>estimated</b> ({@code per-sample}) otherwise: P = {@link #PROBES_PER_SAMPLE} Rademacher probes u_np per
 *       sample, {@code T = Σ_n w_n (1/P) Σ_p u_npᵀ M_n u_np} with w_n = ‖a_n‖² + 1: Hutchinson with N·P independent
 *       probes for the price of P directions. Unbiased; {@code Var T = Σ_n w_n² · 2 Σ_{i≠j} M_n[i,j]² / P}, estimated
 *       without bias from each sample's spread, {@code Σ_n w_n² s_n² / P} (s_n² the sample variance of sample n's P
 *       forms), whose square root is the reported standard error. Sample n's probes come from the seed and n
 *       alone, so a data set split into parts (Spark's partitions: {@link #part}) gets the same probes.</li>
 * </ul>
 * <p>The rule and the estimator are shared by the precisions (and Spark's partitions, through {@link #part}); only
 * the passes differ ({@link OutputPasses}): float64 from {@link Curvature}, float storage with double forms and
 * sums from {@link Float32Curvature}, on the same probes. The reported {@code applications} are the directions per
 * sample of the route's passes (C, out or {@link #PROBES_PER_SAMPLE}).
 *
 * <p>Valid for an affine layer on flat samples (one node; in a graph, with whatever input it reads) whose tensors no
 * other layer uses, when the samples are not coupled ({@link #applies}).
 */
public final class DenseLayerTrace {
  private static final Kernels K = KernelProvider.get();
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
   * What the estimator needs of a curvature, the one part that differs between storage precisions: the batches in
   * the data's order, each with its samples' layer inputs and the pass started at the layer output.
   * {@link Curvature} (float64) and {@link Float32Curvature} (float storage, double accumulation) give it.
   */
  interface OutputPasses {
    Network network();

    int samples();

    int batchSize();

    /** Whether per-sample output Hessians exist (no batch statistics coupling the samples). */
    boolean perSampleDefined();

    /** Visits the batches in the data's order with the passes at the output of node {@code node}, k directions per sample. */
    void forEachBatch(Kind kind, int node, int k, BatchVisitor f);

    /**
     * Visits the batches in the data's order with the rows of J_s / N at the output of node {@code node}
     * ({@link OutputJacobianBlock#jacobianRows}: C backward passes per sample from the network output).
     */
    void forEachJacobianBatch(int node, JacobianVisitor f);
  }

  /** One batch of {@link OutputPasses#forEachJacobianBatch}. */
  interface JacobianVisitor {
    /**
     * @param first     the batch's first sample
     * @param rows      its samples
     * @param sqNorms   per sample s the squared norm ‖a_s‖² of the layer input, summed in double
     * @param jacobians rows·C × out: row (s, c) is e_cᵀ J_s / N
     * @param output    the network output (rows × C), where the loss Hessian is taken
     * @param y         the batch's targets
     */
    void visit(int first, int rows, double[] sqNorms, double[] jacobians, double[] output, double[] y);
  }

  /** One batch of {@link OutputPasses#forEachBatch}. */
  interface BatchVisitor {
    /**
     * @param first the batch's first sample
     * @param rows  its samples
     * @param sqNorms per sample s the squared norm ‖a_s‖² of the layer input, summed in double
     * @param pass  {@code pass.apply(u, mu)}: row (s, d) of mu (rows·k × out) is M_s u_(s,d)
     */
    void visit(int first, int rows, double[] sqNorms, Pass pass);
  }

  /** The pass of one batch started at the layer output, up to the loss Hessian and back. */
  interface Pass {
    void apply(double[] u, double[] mu);
  }

  /** The float64 passes: {@link Curvature#activationPass} from the node's output back to it. */
  private static OutputPasses passes(Curvature c) {
    return new OutputPasses() {
      @Override public Network network() { return c.net; }

      @Override public int samples() { return c.samples; }

      @Override public int batchSize() { return c.maxBatch; }

      @Override public boolean perSampleDefined() { return c.perSampleDefined(); }

      @Override public void forEachBatch(Kind kind, int node, int k, BatchVisitor f) {
        Node n = c.net.node(node);
        int in = c.net.activationWidth(n.input(0));
        int a = n.output();
        TangentPass pass = new TangentPass(c, a);  // the passes start and end at the layer output
        double[] sq = new double[c.maxBatch];
        c.forEachBatch((i, b) -> {
          squaredNorms(b.ws.activation(n.input(0)), b.rows, in, sq);
          f.visit(i * c.maxBatch, b.rows, sq, (u, mu) -> c.activationPass(kind, a, a, b, u, mu, k, pass));
        });
      }

      @Override public void forEachJacobianBatch(int node, JacobianVisitor f) {
        Node n = c.net.node(node);
        int in = c.net.activationWidth(n.input(0));
        int a = n.output();
        int outputs = c.net.outputSize();
        TangentPass pass = new TangentPass(c, a);  // the passes stop at the layer output
        double[] unit = new double[c.maxBatch * outputs * outputs];
        double[] rows = new double[c.maxBatch * outputs * c.net.activationWidth(a)];
        double[] sq = new double[c.maxBatch];
        c.forEachBatch((i, b) -> {
          squaredNorms(b.ws.activation(n.input(0)), b.rows, in, sq);
          OutputJacobianBlock.jacobianRows(c, pass, b, a, unit, rows);
          f.visit(i * c.maxBatch, b.rows, sq, rows, b.ws.activation(c.net.outputActivation()), b.y);
        });
      }
    };
  }

  /** sq[s] = ‖row s of x‖² (rows × width), for the weights w_s = sq[s] + 1. */
  static void squaredNorms(double[] x, int rows, int width, double[] sq) {
    for (int s = 0; s < rows; s++) {
      double w = 0;
      for (int j = s * width; j < (s + 1) * width; j++) w += x[j] * x[j];
      sq[s] = w;
    }
  }

  /**
   * Whether the structure holds for layer {@code layer}: an affine layer on flat samples ({@code Layer#affine}),
   * its tensors its own, and per-sample output Hessians defined (no batch statistics coupling the samples).
   */
  public static boolean applies(Curvature c, int layer) {
    return applies(passes(c), layer);
  }

  /** {@link #applies(Curvature, int)} for the float32 curvature. */
  public static boolean applies(Float32Curvature c, int layer) {
    return applies(c.outputPasses(), layer);
  }

  private static boolean applies(OutputPasses c, int layer) {
    return structureApplies(c.network(), layer) && c.perSampleDefined();
  }

  /**
   * The layer's side of {@link #applies(Curvature, int)}: an affine layer on flat samples with its tensors its own.
   * The curvature must also have per-sample output Hessians (a data-parallel curvature of row-separable samples has).
   */
  public static boolean structureApplies(Network net, int layer) {
    return layer >= 0 && layer < net.depth() && net.layer(layer).affine() && net.firstNode(layer) == net.lastNode(layer)
        && !net.sharesTensors(layer);
  }

  /**
   * The trace of layer {@code layer}'s block of the given kind: exact (standard error 0, method {@link #EXACT}) from
   * the output side when {@link #outputSideExact}, else exact when the layer has at most {@link #EXACT_MAX_OUTPUTS}
   * outputs, else the per-sample estimate with {@link #PROBES_PER_SAMPLE} probes drawn from {@code seed} (method
   * {@link #ESTIMATE}).
   *
   * @return the value; {@code samples} the quadratic forms that entered, {@code applications} the directions per
   *     sample of the passes started at the layer output (not parameter products)
   * @throws IllegalArgumentException when the structure does not hold ({@link #applies})
   */
  public static TraceEstimate of(Curvature c, Kind kind, int layer, long seed) {
    return of(passes(c), kind, layer, seed);
  }

  /**
   * {@link #of(Curvature, Kind, int, long)} on the float32 curvature: the same probes (same seed, same order), float
   * passes, forms and sums in double, so it agrees with the float64 value to float rounding.
   */
  public static TraceEstimate of(Float32Curvature c, Kind kind, int layer, long seed) {
    return of(c.outputPasses(), kind, layer, seed);
  }

  private static TraceEstimate of(OutputPasses c, Kind kind, int layer, long seed) {
    return part(c, kind, layer, seed, 0).estimate();
  }

  /**
   * {@link #of(Curvature, Kind, int, long)}, reading J from {@code block} when it is this layer's
   * {@link OutputJacobianBlock} and the trace comes from the output side: the J it keeps for its products (built here
   * if not yet) instead of C more backward passes per sample. The same rows, so the same value up to the sign of a zero.
   */
  public static TraceEstimate of(Curvature c, Kind kind, int layer, long seed, org.hesse.eigen.LinearOperator block) {
    OutputPasses p = passes(c);
    if (block instanceof OutputJacobianBlock j && j.curvature() == c && j.layer() == layer && applies(p, layer)
        && outputSideExact(p, kind, layer)) {
      return outputSide(j.keptPasses(p), layer).estimate();
    }
    return of(p, kind, layer, seed);
  }

  /**
   * The terms of {@link #of(Curvature, Kind, int, long)} over the samples of {@code c}, which are samples
   * {@code firstSample, firstSample + 1, …} of a larger data set split into parts (a Spark partition's): each sample's
   * probes are drawn from the seed and its index in the whole data set, so the parts' {@link Part#plus sum}, each
   * {@link Part#scaled scaled} from its own mean to the whole one's, is the trace of the whole data set with the
   * probes {@link #of} draws there (up to rounding: the passes' weights and the order of the sums differ).
   *
   * @throws IllegalArgumentException when the structure does not hold ({@link #applies})
   */
  public static Part part(Curvature c, Kind kind, int layer, long seed, long firstSample) {
    return part(passes(c), kind, layer, seed, firstSample);
  }

  private static Part part(OutputPasses c, Kind kind, int layer, long seed, long firstSample) {
    if (!applies(c, layer)) {
      throw new IllegalArgumentException("layer " + layer + ": expected a dense layer on flat samples with its own "
          + "tensors and samples not coupled by batch statistics, for the per-sample trace");
    }
    if (outputSideExact(c, kind, layer)) return outputSide(c, layer);
    int out = c.network().layer(layer).outputSize();
    return out <= EXACT_MAX_OUTPUTS ? exact(c, kind, layer) : estimate(c, kind, layer, PROBES_PER_SAMPLE, seed, firstSample);
  }

  /**
   * Whether {@link #of} takes the exact trace from the output side: M_n = J_nᵀ Λ_n J_n ({@link OutputJacobianBlock#exact})
   * with C ≤ {@link #EXACT_MAX_OUTPUTS} network outputs, fewer than the layer's (else its own unit directions are
   * as few).
   */
  private static boolean outputSideExact(OutputPasses c, Kind kind, int layer) {
    Network net = c.network();
    int outputs = net.outputSize();
    return OutputJacobianBlock.exact(net, c.perSampleDefined(), kind, layer) && outputs <= EXACT_MAX_OUTPUTS
        && outputs < net.layer(layer).outputSize();
  }

  /**
   * The additive terms of the trace over some samples: {@code trace} Σ_n w_n t_n (t_n = tr M_n, or the mean of sample
   * n's probe forms) and {@code variance} Σ_n w_n² s_n² / P, the square of the estimate's standard error (0 when
   * exact); {@code directions} per sample of the passes. Parts over disjoint samples add.
   */
  public record Part(double trace, double variance, long samples, int directions, boolean exact) implements java.io.Serializable {
    /** The terms of both parts' samples (same layer and method). */
    public Part plus(Part o) {
      if (exact != o.exact || directions != o.directions) {
        throw new IllegalArgumentException("per-sample trace: parts of different methods (" + this + ", " + o + ")");
      }
      return new Part(trace + o.trace, variance + o.variance, samples + o.samples, directions, exact);
    }

    /** The terms with the output Hessians weighted by {@code w} times theirs (a part's 1/n_p mean to the whole's 1/N). */
    public Part scaled(double w) {
      return new Part(w * trace, w * w * variance, samples, directions, exact);
    }

    /** The trace with its standard error and method ({@link #EXACT} or {@link #ESTIMATE}). */
    public TraceEstimate estimate() {
      int forms = (int) Math.min(Integer.MAX_VALUE, samples * directions);
      return exact ? new TraceEstimate(trace, 0.0, forms, directions, EXACT)
          : new TraceEstimate(trace, Math.sqrt(variance), forms, directions, ESTIMATE);
    }
  }

  static TraceEstimate exact(Curvature c, Kind kind, int layer) {
    return exact(passes(c), kind, layer).estimate();
  }

  static TraceEstimate exact(Float32Curvature c, Kind kind, int layer) {
    return exact(c.outputPasses(), kind, layer).estimate();
  }

  /** Σ_n w_n tr M_n with the {@code out} unit directions at the layer output. */
  private static Part exact(OutputPasses c, Kind kind, int layer) {
    int out = c.network().layer(layer).outputSize();
    int samples = c.samples();
    double[] w = new double[samples];
    double[] perSample = forms(c, kind, layer, out, false, 0, 0, w);  // u = e_j: the diagonal of M_n
    double t = 0;
    for (int n = 0; n < samples; n++) {
      double tr = 0;
      for (int j = 0; j < out; j++) tr += perSample[n * out + j];
      t += w[n] * tr;
    }
    return new Part(t, 0.0, samples, out, true);
  }

  /**
   * Σ_n w_n tr M_n with tr M_n = tr(Λ_n J_n J_nᵀ) / N: per sample the C × C Gram G_n of the rows R_n = J_n / N and the
   * loss Hessian's C products N Λ_n G_n e_d, whose d-th entries sum to N tr(Λ_n J_n J_nᵀ) / N² (M_n carries the 1/N).
   * Valid only where {@link #outputSideExact} holds, for either kind (there the Hessian's M_n is the GGN's).
   */
  private static Part outputSide(OutputPasses c, int layer) {
    Network net = c.network();
    int out = net.layer(layer).outputSize();
    int outputs = net.outputSize();
    int samples = c.samples();
    double[] gram = new double[c.batchSize() * outputs * outputs];
    double[] lg = new double[c.batchSize() * outputs * outputs];
    double[] t = {0};
    c.forEachJacobianBatch(net.firstNode(layer), (first, rows, sqNorms, r, output, y) -> {
      for (int s = 0; s < rows; s++) {
        int ro = s * outputs * out;
        int go = s * outputs * outputs;
        for (int i = 0; i < outputs; i++) {
          for (int j = 0; j <= i; j++) {
            double d = K.dot(r, ro + i * out, r, ro + j * out, out);
            gram[go + i * outputs + j] = d;
            gram[go + j * outputs + i] = d;
          }
        }
      }
      // row (s, d) of lg: N Λ_s G_s e_d (G_s symmetric: its row d is its column d)
      net.loss().hessianVector(output, y, rows, outputs, samples, gram, lg, outputs);
      for (int s = 0; s < rows; s++) {
        double tr = 0;
        for (int d = 0; d < outputs; d++) tr += lg[(s * outputs + d) * outputs + d];
        t[0] += (sqNorms[s] + 1) * tr;
      }
    });
    return new Part(t[0], 0.0, samples, outputs, true);
  }

  static TraceEstimate estimate(Curvature c, Kind kind, int layer, int probes, long seed) {
    return estimate(passes(c), kind, layer, probes, seed, 0).estimate();
  }

  static TraceEstimate estimate(Float32Curvature c, Kind kind, int layer, int probes, long seed) {
    return estimate(c.outputPasses(), kind, layer, probes, seed, 0).estimate();
  }

  /**
   * The per-sample Hutchinson estimate with {@code probes} ≥ 2 Rademacher probes per sample, the samples those from
   * {@code firstSample} on of the whole data set.
   */
  private static Part estimate(OutputPasses c, Kind kind, int layer, int probes, long seed, long firstSample) {
    if (probes < 2) throw new IllegalArgumentException("probes: expected at least 2 per sample (for the spread), got " + probes);
    int samples = c.samples();
    double[] weights = new double[samples];
    double[] q = forms(c, kind, layer, probes, true, seed, firstSample, weights);
    double t = 0;
    double var = 0;
    for (int n = 0; n < samples; n++) {
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
    return new Part(t, var, samples, probes, false);
  }

  /**
   * Per sample n and direction d, {@code u_ndᵀ M_n u_nd} (N × k, sample-major): u the unit vectors e_d without
   * {@code probes} (k = out), else Rademacher vectors, sample n's k·out signs from {@link #sampleRandom}(seed,
   * firstSample + n) (64 per {@code nextLong}, whatever the precision): so they depend on neither the batches nor the
   * data set's split into parts. Fills {@code weights[n]} with w_n = ‖a_n‖² + 1 (sample n's layer input with the
   * bias's 1) in the same loop over the batches (one pass over the data, also when the curvature streams them).
   */
  private static double[] forms(OutputPasses c, Kind kind, int layer, int k, boolean probes, long seed, long firstSample,
                                double[] weights) {
    Network net = c.network();
    int out = net.layer(layer).outputSize();
    double[] u = new double[c.batchSize() * k * out];
    double[] mu = new double[c.batchSize() * k * out];
    double[] q = new double[c.samples() * k];
    c.forEachBatch(kind, net.firstNode(layer), k, (row, rows, sqNorms, pass) -> {
      for (int s = 0; s < rows; s++) weights[row + s] = sqNorms[s] + 1;
      int m = rows * k * out;
      if (!probes) {
        Arrays.fill(u, 0, m, 0.0);
        for (int s = 0; s < rows; s++) for (int j = 0; j < k; j++) u[(s * k + j) * out + j] = 1.0;
      } else {
        int per = k * out;
        for (int s = 0; s < rows; s++) {
          SplittableRandom rng = sampleRandom(seed, firstSample + row + s);
          for (int r = s * per; r < (s + 1) * per; r += 64) {
            long bits = rng.nextLong();
            for (int j = r; j < Math.min((s + 1) * per, r + 64); j++, bits >>>= 1) u[j] = (bits & 1) == 0 ? 1.0 : -1.0;
          }
        }
      }
      // row (s, d) of mu is M_s u_(s,d)
      pass.apply(u, mu);
      for (int r = 0; r < rows * k; r++) {
        double d = 0;
        for (int j = r * out; j < (r + 1) * out; j++) d += u[j] * mu[j];
        q[row * k + r] = d;
      }
    });
    return q;
  }

  /**
   * Sample n's own generator: seeded with value n (from 0) of the seed's SplitMix64 stream, so that samples get
   * independent streams (they overlap only if two such seeds fall within a few steps of each other).
   */
  static SplittableRandom sampleRandom(long seed, long n) {
    return new SplittableRandom(new SplittableRandom(seed + n * 0x9E3779B97F4A7C15L).nextLong());
  }
}
