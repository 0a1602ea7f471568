package org.hesse.hvp.curvature;

import java.util.Arrays;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.linalg.Gemm;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Dense;
import org.hesse.nn.Flatten;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.nn.Reshape;
import org.hesse.runtime.MemoryBudget;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * A dense layer's block in output-Jacobian form, for an eigen-solve's many products. With z_n the layer output of
 * sample n, J_n = ∂f_n/∂z_n (C × out, C the network's output width) and Λ_n the loss Hessian at the output f_n, the
 * GGN block is
 * <pre>
 *   (G v)_W = (1/N) Σ_n J_nᵀ Λ_n J_n (V a_n + v_b) a_nᵀ,      (G v)_b = (1/N) Σ_n J_nᵀ Λ_n J_n (V a_n + v_b)
 * </pre>
 * and it is the Hessian block too when every node above the layer is piecewise linear in its input (dense, ReLU-like
 * activations, flatten, reshape: no σ''·g term reaches the layer; the layer's own second derivative in its parameters
 * is zero). J is formed once, on the first product, by C backward passes from the output per batch (unit vectors,
 * GGN rules) and kept on each sample's active units (at most N·C·out doubles; a ReLU layer's switched-off units
 * have zero columns); each product is then the GEMM {@code V a} per batch, per sample
 * {@code J_nᵀ (Λ_n (J_n dz_n))}, and the GEMM {@code gᵀ a}: the GEMMs through the layers above are replaced by C × out
 * mat-vecs. Exact up to rounding (same sums in another order). Rebuilt after {@link Curvature#update}. Owns its
 * buffers: not thread-safe.
 */
public final class OutputJacobianBlock implements LinearOperator {
  private static final Kernels K = KernelProvider.get();
  /**
   * Routed only when the layers above cost this many times the J mat-vecs per sample: their multiply-adds per sample
   * (for dense layers, their parameter count, forward and back) against 2·C·out. Below it the build does not pay.
   */
  static final int MIN_GAIN = 4;
  /**
   * Samples per pass of a product: their J (about 10 × 350 active units × 8 bytes each here) stays in the core's cache
   * between the mat-vec J_n dz_n and J_nᵀ (Λ_n u_n), which must wait for the loss Hessian of the whole chunk.
   */
  private static final int CHUNK = 16;

  private final Curvature c;
  private final int layer;
  private final Node node;
  private final int in;
  private final int out;
  private final int outputs;  // C
  private final int dim;
  // J / N per batch, on each sample's active units only: a column of J_n that is zero in every output (a unit the
  // ReLU switched off for sample n) adds nothing (32 % of layer 0's on the Fashion-MNIST case: docs/performance.md)
  private double[][] jacobians;  // per batch: sample by sample, C rows of that sample's active-unit count
  private int[][] active;  // per batch: the active units of each sample, sample by sample
  private int[][] starts;  // per batch: where sample s's units start in active (rows + 1 entries)
  private long builtAt = -1;  // the curvature's generation J was formed at
  private final double[] dz;  // maxBatch × out
  private final double[] g;  // maxBatch × out
  private final double[] u;  // CHUNK × C
  private final double[] w;  // CHUNK × C
  private final double[] z;  // CHUNK × C: the chunk's network outputs
  private final double[] t;  // CHUNK × tw: the chunk's targets
  private final int tw;  // the loss target's width
  private final double[] vals;  // out: one sample's values on its active units
  private double[] xCopy;

  private OutputJacobianBlock(Curvature c, int layer) {
    this.c = c;
    this.layer = layer;
    Network net = c.net;
    this.node = net.node(net.firstNode(layer));
    Dense d = (Dense) net.layer(layer);
    this.in = d.inFeatures();
    this.out = d.outFeatures();
    this.outputs = net.outputSize();
    this.dim = out * in + out;
    this.dz = new double[c.maxBatch * out];
    this.g = new double[c.maxBatch * out];
    this.u = new double[CHUNK * outputs];
    this.w = new double[CHUNK * outputs];
    this.z = new double[CHUNK * outputs];
    this.tw = net.loss().targetWidth(outputs);
    this.t = new double[CHUNK * tw];
    this.vals = new double[out];
  }

  /**
   * Layer {@code layer}'s block of the given kind in output-Jacobian form when {@link #applies}, else the curvature's
   * own block operator.
   */
  public static LinearOperator orBlock(Curvature c, Kind kind, int layer) {
    return applies(c, kind, layer) ? new OutputJacobianBlock(c, layer) : c.block(kind, layer);
  }

  /**
   * Whether the form is exact and pays for layer {@code layer}: {@link #exact}, the layers above costing at least
   * {@link #MIN_GAIN} times the mat-vecs, J within the memory budget, and every batch cached: J grows with N, so a
   * curvature that streams (its memory bounded by the batch) keeps its own products.
   */
  public static boolean applies(Curvature c, Kind kind, int layer) {
    if (!exact(c, kind, layer) || c.cachedBatches() < c.batches()) return false;
    Network net = c.net;
    long above = 0;  // multiply-adds per sample of one direction through the dense layers above, one way
    for (int j = net.firstNode(layer) + 1; j < net.nodeCount(); j++) {
      if (net.node(j).op instanceof Dense) above += net.node(j).op.paramCount();
    }
    long matVecs = (long) net.outputSize() * net.layer(layer).outputSize();
    long batchDoubles = c.maxBatch * matVecs;  // J: one Java array per batch, N·C·out doubles in all at most
    return above >= MIN_GAIN * matVecs && batchDoubles <= Integer.MAX_VALUE - 8
        && MemoryBudget.current().fits(8L * c.samples * matVecs);
  }

  /**
   * Whether the form equals layer {@code layer}'s block: a dense layer on flat samples with its own tensors, per-sample
   * second derivatives defined (no batch statistics), no shared tensors in the network; for the Hessian every node
   * above the layer piecewise linear in its input (dense, an activation with σ'' = 0, flatten, reshape).
   */
  static boolean exact(Curvature c, Kind kind, int layer) {
    return exact(c.net, c.perSampleDefined(), kind, layer);
  }

  /** {@link #exact(Curvature, Kind, int)} for any precision's curvature of {@code net}. */
  static boolean exact(Network net, boolean perSampleDefined, Kind kind, int layer) {
    if (!DenseLayerTrace.structureApplies(net, layer) || !(net.layer(layer) instanceof Dense) || net.shared()
        || !perSampleDefined) {
      return false;
    }
    if (kind == Kind.GGN) return true;
    for (int j = net.firstNode(layer) + 1; j < net.nodeCount(); j++) {
      Layer op = net.node(j).op;
      boolean linear = op instanceof Dense || op instanceof Flatten || op instanceof Reshape
          || op instanceof ActivationLayer && ((ActivationLayer) op).function().piecewiseLinear();
      if (!linear) return false;
    }
    return true;
  }

  /** The form of layer {@code layer}'s block, whether or not it pays; refused where it is not {@link #exact}. */
  static OutputJacobianBlock of(Curvature c, Kind kind, int layer) {
    if (!exact(c, kind, layer)) {
      throw new IllegalArgumentException("layer " + layer + ": the " + kind + " block is not J^T Λ J in output-Jacobian"
          + " form here; expected a dense layer with only piecewise-linear nodes above it (or the GGN)");
    }
    return new OutputJacobianBlock(c, layer);
  }

  @Override public int dim() { return dim; }

  @Override public boolean symmetric() { return true; }

  @Override
  public void apply(double[] x, double[] y) {
    applyMany(x, y, 1);
  }

  @Override
  public void applyMany(double[] x, double[] y, int k) {
    LinearOperator.checkMany(x, y, k, dim, dim);
    double[] src = x;
    if (x == y) {
      if (xCopy == null || xCopy.length < k * dim) xCopy = new double[k * dim];
      System.arraycopy(x, 0, xCopy, 0, k * dim);
      src = xCopy;
    }
    if (builtAt != c.generation()) build();
    Arrays.fill(y, 0, k * dim, 0.0);
    for (int j = 0; j < k; j++) product(src, j * dim, y, j * dim);
  }

  /**
   * J_n / N for every sample: per batch, C unit tangents per sample injected at the output, back to the layer output;
   * kept on each sample's active units (columns not zero in every output row).
   */
  private void build() {
    int C = outputs;
    if (jacobians == null) {
      MemoryBudget.current().checkDoubles((long) c.samples * C, out, "output Jacobians of layer " + layer);
      jacobians = new double[c.batches()][];
      active = new int[c.batches()][];
      starts = new int[c.batches()][];
    }
    int a = node.output();
    TangentPass pass = new TangentPass(c, a);
    double[] unit = new double[c.maxBatch * C * C];
    double[] rows = new double[c.maxBatch * C * out];
    int[] units = new int[c.maxBatch * out];
    boolean[] used = new boolean[out];
    c.forEachBatch((i, b) -> {
      jacobianRows(c, pass, b, a, unit, rows);
      keep(i, b.rows, rows, units, used);
    });
    builtAt = c.generation();
  }

  /**
   * Keeps batch i's J rows (rows × C × out in {@code rows}) on each sample's active units: jacobians[i], active[i] and
   * starts[i]. A method of its own, with its loops in methods of their own, for the JIT (as {@link #chunk}).
   */
  private void keep(int i, int sampleCount, double[] rows, int[] units, boolean[] used) {
    int C = outputs;
    int[] start = new int[sampleCount + 1];
    int count = 0;
    for (int s = 0; s < sampleCount; s++) {
      start[s] = count;
      count = activeUnits(rows, s * C * out, C, out, used, units, count);
    }
    start[sampleCount] = count;
    double[] values = new double[count * C];
    for (int s = 0; s < sampleCount; s++) {
      int from = start[s];
      int m = start[s + 1] - from;
      for (int j = 0; j < C; j++) gather(rows, (s * C + j) * out, units, from, m, values, from * C + j * m);
    }
    jacobians[i] = values;
    active[i] = Arrays.copyOf(units, count);
    starts[i] = start;
  }

  /**
   * Appends to units (from index count) the columns of the C × width rows at r0 that are nonzero in some row, in
   * order; returns the new count. Sequential passes over the rows (this runs once, mostly before the JIT has compiled
   * it; a column-wise test across the rows was slower).
   */
  private static int activeUnits(double[] rows, int r0, int C, int width, boolean[] used, int[] units, int count) {
    Arrays.fill(used, false);
    for (int j = 0; j < C; j++) {
      int r = r0 + j * width;
      for (int k = 0; k < width; k++) used[k] |= rows[r + k] != 0.0;
    }
    for (int k = 0; k < width; k++) if (used[k]) units[count++] = k;
    return count;
  }

  Curvature curvature() { return c; }

  int layer() { return layer; }

  /**
   * {@code passes} with the Jacobian rows read from the kept J (scattered back to full width: the dropped columns
   * are zero) instead of C backward passes per batch; J is built first if needed.
   */
  DenseLayerTrace.OutputPasses keptPasses(DenseLayerTrace.OutputPasses passes) {
    return new DenseLayerTrace.OutputPasses() {
      @Override public Network network() { return passes.network(); }

      @Override public int samples() { return passes.samples(); }

      @Override public int batchSize() { return passes.batchSize(); }

      @Override public boolean perSampleDefined() { return passes.perSampleDefined(); }

      @Override public void forEachBatch(Kind kind, int n, int k, DenseLayerTrace.BatchVisitor f) {
        passes.forEachBatch(kind, n, k, f);
      }

      @Override public void forEachJacobianBatch(int n, DenseLayerTrace.JacobianVisitor f) {
        if (builtAt != c.generation()) build();
        int C = outputs;
        double[] rows = new double[c.maxBatch * C * out];
        double[] sq = new double[c.maxBatch];
        c.forEachBatch((i, b) -> {
          DenseLayerTrace.squaredNorms(b.ws.activation(node.input(0)), b.rows, in, sq);
          Arrays.fill(rows, 0, b.rows * C * out, 0.0);
          double[] values = jacobians[i];
          int[] units = active[i];
          int[] start = starts[i];
          for (int s = 0; s < b.rows; s++) {
            int from = start[s];
            int m = start[s + 1] - from;
            for (int j = 0; j < C; j++) scatter(values, from * C + j * m, units, from, m, rows, (s * C + j) * out);
          }
          f.visit(i * c.maxBatch, b.rows, sq, rows, b.ws.activation(c.net.outputActivation()), b.y);
        });
      }
    };
  }

  /** Units kept in J over all samples (0 before J is built), against samples × out (for tests). */
  long[] keptUnits() {
    long kept = 0;
    if (starts != null) for (int[] s : starts) kept += s[s.length - 1];
    return new long[] {kept, (long) c.samples * out};
  }

  /**
   * Rows (s, j) of {@code rows} (b.rows·C × width of activation a): e_jᵀ J_s / N, J_s = ∂f_s/∂(activation a), so
   * sample s's C × width block is contiguous. C unit tangents per sample injected at the network output, back to
   * activation a (GGN rules: the Jacobian's transpose); {@code unit} is scratch of b.rows·C·C doubles. Also the
   * exact dense-layer trace's pass ({@link DenseLayerTrace}).
   */
  static void jacobianRows(Curvature c, TangentPass pass, Curvature.BatchCache b, int a, double[] unit, double[] rows) {
    int C = c.net.outputSize();
    int topAct = c.net.outputActivation();
    Arrays.fill(unit, 0, b.rows * C * C, 0.0);
    for (int s = 0; s < b.rows; s++) for (int j = 0; j < C; j++) unit[(s * C + j) * C + j] = 1.0;
    pass.run(b, C, null, topAct, unit, topAct - 1, false, null, a, a, rows, true);
  }

  /** y[yo..] += the block times x[xo..] (weights then bias). */
  private void product(double[] x, int xo, double[] y, int yo) {
    int bias = out * in;
    int topAct = c.net.outputActivation();
    c.forEachBatch((i, b) -> {
      int rows = b.rows;
      double[] input = b.ws.activation(node.input(0));
      for (int s = 0; s < rows; s++) System.arraycopy(x, xo + bias, dz, s * out, out);
      Gemm.gemm(false, true, rows, out, in, 1.0, input, 0, in, x, xo, in, 1.0, dz, 0, out);  // dz = a Vᵀ + v_b
      double[] logits = b.ws.activation(topAct);
      Arrays.fill(g, 0, rows * out, 0.0);
      for (int s0 = 0; s0 < rows; s0 += CHUNK) chunk(i, s0, Math.min(CHUNK, rows - s0), logits, b.y);
      Gemm.gemm(true, false, out, in, rows, 1.0, g, 0, out, input, 0, in, 1.0, y, yo, in);  // Σ_n g_n a_nᵀ
      Dense.addColumnSums(g, rows, out, y, yo + bias);
    });
  }

  /**
   * g's rows s0 .. s0 + m of batch i from dz's: per sample J_n dz_n, the chunk's loss Hessian, per sample J_nᵀ w_n.
   * A method of its own (as are {@link #gather} and {@link #scatter}): C2 compiles these small loops instead of the
   * whole product lambda three times over (docs/performance.md, "JIT start-up").
   */
  private void chunk(int i, int s0, int m, double[] logits, double[] targets) {
    int C = outputs;
    double[] jac = jacobians[i];
    int[] units = active[i];
    int[] start = starts[i];
    for (int s = s0; s < s0 + m; s++) {
      int from = start[s];
      int na = start[s + 1] - from;
      gather(dz, s * out, units, from, na, vals, 0);
      for (int j = 0; j < C; j++) u[(s - s0) * C + j] = K.dot(jac, from * C + j * na, vals, 0, na);
    }
    // Λ u with scale N: the two J/N factors and this give the 1/N of the mean loss
    System.arraycopy(logits, s0 * C, z, 0, m * C);
    System.arraycopy(targets, s0 * tw, t, 0, m * tw);
    c.net.loss().hessianVector(z, t, m, C, c.samples, u, w);
    for (int s = s0; s < s0 + m; s++) {
      int from = start[s];
      int na = start[s + 1] - from;
      Arrays.fill(vals, 0, na, 0.0);
      for (int j = 0; j < C; j++) K.axpy(w[(s - s0) * C + j], jac, from * C + j * na, vals, 0, na);
      scatter(vals, 0, units, from, na, g, s * out);
    }
  }

  /** to[to0 + k] = from[fo + units[uo + k]] for k < n. */
  private static void gather(double[] from, int fo, int[] units, int uo, int n, double[] to, int to0) {
    for (int k = 0; k < n; k++) to[to0 + k] = from[fo + units[uo + k]];
  }

  /** to[to0 + units[uo + k]] = from[fo + k] for k < n. */
  private static void scatter(double[] from, int fo, int[] units, int uo, int n, double[] to, int to0) {
    for (int k = 0; k < n; k++) to[to0 + units[uo + k]] = from[fo + k];
  }
}
