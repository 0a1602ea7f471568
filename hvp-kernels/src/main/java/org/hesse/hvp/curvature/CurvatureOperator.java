package org.hesse.hvp.curvature;

import java.util.Arrays;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;
import org.hesse.nn.ParamTensor;

/**
 * A Hessian or GGN block {@code ∂²L/∂θ_R ∂θ_C} as a matrix-free operator, where C (the columns: where the
 * direction lives) and R (the rows: where the product is read) are lists of parametrised layers. Vectors are
 * the concatenation of those layers' parameter blocks (each weights then bias), in layer order.
 *
 * <p>One application: the forward tangent starts at the first layer of C (zero before it) and runs to the
 * loss; the backward tangent runs from the loss down to the first layer of R and stops there. So a block of a
 * late layer costs a fraction of a full product. Owns its tangent buffers: not thread-safe.
 */
public final class CurvatureOperator implements LinearOperator {
  private final Curvature c;
  private final Curvature.Kind kind;
  private final boolean[] inCols;
  private final boolean[] inRows;
  private final int[] colOffset;  // offset of layer l's block inside a column vector, or −1
  private final int[] rowOffset;
  private final int cols;
  private final int rows;
  private final int first;
  private final int low;
  private int capacity;         // directions the tangent buffers hold
  private int stackedCapacity;  // directions the stacked parameter buffers hold
  private double[][] dacts;
  private double[][] dgs;
  private double[][] vStack;
  private double[][] hvStack;
  private long applications;

  CurvatureOperator(Curvature c, Curvature.Kind kind, List<Integer> rowLayers, List<Integer> colLayers) {
    this.c = c;
    this.kind = kind;
    int K = c.net.depth();
    inCols = new boolean[K];
    inRows = new boolean[K];
    colOffset = new int[K];
    rowOffset = new int[K];
    Arrays.fill(colOffset, -1);
    Arrays.fill(rowOffset, -1);
    int cs = 0;
    int rs = 0;
    int f = K;
    int lo = K;
    for (int k = 0; k < K; k++) {
      int p = c.net.layer(k).paramCount();
      if (colLayers.contains(k)) {
        inCols[k] = true;
        colOffset[k] = cs;
        cs += p;
        f = Math.min(f, k);
      }
      if (rowLayers.contains(k)) {
        inRows[k] = true;
        rowOffset[k] = rs;
        rs += p;
        lo = Math.min(lo, k);
      }
    }
    this.cols = cs;
    this.rows = rs;
    this.first = f;
    this.low = lo;
  }

  public Curvature.Kind kind() { return kind; }

  /** Length of the vectors the operator acts on. */
  public int cols() { return cols; }

  /** Length of the products. */
  public int rows() { return rows; }

  /** The dimension of a square block (R = C); off-diagonal blocks are not square operators. */
  @Override
  public int dim() {
    if (rows != cols) {
      throw new IllegalStateException("an off-diagonal block (" + rows + " × " + cols + ") is not a square operator");
    }
    return cols;
  }

  /** Square blocks (R = C) are symmetric. */
  @Override
  public boolean symmetric() {
    return Arrays.equals(inRows, inCols);
  }

  /** Number of single-vector products computed so far (a k-vector apply counts k). */
  public long applications() { return applications; }

  public Curvature curvature() { return c; }

  /** y = A x. */
  @Override
  public void apply(double[] x, double[] y) {
    applyMany(x, y, 1);
  }

  /**
   * Y = A X for k vectors at once (X: k blocks of {@link #cols()} values, Y: k blocks of {@link #rows()}):
   * the network passes run once on k directions, turning matrix-vector work into GEMMs.
   */
  @Override
  public void applyMany(double[] x, double[] y, int k) {
    if (k <= 0) throw new IllegalArgumentException("k must be > 0, got " + k);
    if (x.length < (long) k * cols) {
      throw new IllegalArgumentException("x: expected " + k + " × " + cols + " values, got " + x.length);
    }
    if (y.length < (long) k * rows) {
      throw new IllegalArgumentException("y: expected " + k + " × " + rows + " values, got " + y.length);
    }
    ensureCapacity(k);
    Network net = c.net;
    int K = net.depth();
    boolean gn = kind == Curvature.Kind.GGN;
    // One direction in a separate output: the rules read x and write y in place at each layer's offset (for k = 1
    // the stacked layout is the plain one). Otherwise through the stacked buffers.
    boolean direct = k == 1 && x != y;
    if (direct) {
      Arrays.fill(y, 0, rows, 0.0);
    } else {
      ensureStacked(k);
      for (int l = 0; l < K; l++) {
        if (inCols[l]) gather(net.layer(l), x, colOffset[l], cols, k, vStack[l]);
        if (inRows[l]) Arrays.fill(hvStack[l], 0, k * net.layer(l).paramCount(), 0.0);
      }
    }
    double scale = 1.0 / c.samples;
    for (Curvature.BatchCache b : c.batches) {
      int n = b.rows;
      for (int l = first; l < K; l++) {
        double[] v = !inCols[l] ? null : direct ? x : vStack[l];
        c.rules[l].jvp(net.layer(l), b.prep[l], c.theta, net.offset(l), b.acts[l], b.acts[l + 1],
            l > first ? dacts[l] : null, v, direct ? colOffset[l] : 0, dacts[l + 1], n, k);
      }
      net.loss().hessianVector(b.acts[K], b.y, n, net.outputSize(), scale, dacts[K], dgs[K], k);
      for (int l = K - 1; l >= low; l--) {
        double[] v = !inCols[l] ? null : direct ? x : vStack[l];
        double[] hv = !inRows[l] ? null : direct ? y : hvStack[l];
        c.rules[l].backwardTangent(net.layer(l), b.prep[l], c.theta, net.offset(l), b.acts[l], b.acts[l + 1],
            b.grads[l + 1], dgs[l + 1], l > first ? dacts[l] : null, v, direct ? colOffset[l] : 0,
            l > low ? dgs[l] : null, hv, direct ? rowOffset[l] : 0, gn, n, k);
      }
    }
    if (!direct) {
      for (int l = 0; l < K; l++) {
        if (inRows[l]) scatter(net.layer(l), hvStack[l], k, y, rowOffset[l], rows);
      }
    }
    applications += k;
  }

  /** Tangent buffers for k directions. */
  private void ensureCapacity(int k) {
    if (k <= capacity) return;
    Network net = c.net;
    int K = net.depth();
    dacts = new double[K + 1][];
    dgs = new double[K + 1][];
    // dacts[l] is read for l > first, dgs[l] written for l > low (and the top ones by the loss)
    for (int l = 0; l <= K; l++) {
      if (l > first) dacts[l] = new double[c.maxBatch * k * net.width(l)];
      if (l > low) dgs[l] = new double[c.maxBatch * k * net.width(l)];
    }
    capacity = k;
  }

  /** The stacked parameter buffers for k directions (not needed when one direction goes in place). */
  private void ensureStacked(int k) {
    if (k <= stackedCapacity) return;
    Network net = c.net;
    int K = net.depth();
    vStack = new double[K][];
    hvStack = new double[K][];
    for (int l = 0; l < K; l++) {
      int p = net.layer(l).paramCount();
      if (inCols[l]) vStack[l] = new double[k * p];
      if (inRows[l]) hvStack[l] = new double[k * p];
    }
    stackedCapacity = k;
  }

  /** Direction j's block of layer l (at off within each length-len vector of x) into the stacked layout. */
  static void gather(Layer layer, double[] x, int off, int len, int k, double[] stacked) {
    for (ParamTensor t : layer.paramTensors()) {
      int s = t.size();
      for (int j = 0; j < k; j++) System.arraycopy(x, j * len + off + t.offset, stacked, k * t.offset + j * s, s);
    }
  }

  /** The inverse of {@link #gather}. */
  static void scatter(Layer layer, double[] stacked, int k, double[] y, int off, int len) {
    for (ParamTensor t : layer.paramTensors()) {
      int s = t.size();
      for (int j = 0; j < k; j++) System.arraycopy(stacked, k * t.offset + j * s, y, j * len + off + t.offset, s);
    }
  }
}
