package org.hesse.hvp.curvature;

import java.util.Arrays;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.nn.Network;

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
  private int capacity;  // directions the tangent buffers hold
  private double[][] dacts;
  private double[][] dgs;
  private double[] xCopy;  // the directions of an in-place apply
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
    LinearOperator.checkMany(x, y, k, rows, cols);
    if (rows == 0 || cols == 0) {  // no parameters on one side: the product is zero
      Arrays.fill(y, 0, k * rows, 0.0);
      applications += k;
      return;
    }
    ensureCapacity(k);
    Network net = c.net;
    int K = net.depth();
    boolean gn = kind == Curvature.Kind.GGN;
    // The rules read the directions from x and write the products into y where they are (layer l's block of
    // vector j at colOffset[l] + j·cols and rowOffset[l] + j·rows); in place, x is read from a copy.
    double[] in = x;
    if (x == y) {
      if (xCopy == null || xCopy.length < k * cols) xCopy = new double[k * cols];
      System.arraycopy(x, 0, xCopy, 0, k * cols);
      in = xCopy;
    }
    Arrays.fill(y, 0, k * rows, 0.0);
    double scale = 1.0 / c.samples;
    for (Curvature.BatchCache b : c.batches) {
      int n = b.rows;
      for (int l = first; l < K; l++) {
        c.rules[l].jvp(net.layer(l), b.prep[l], c.theta, net.offset(l), b.acts[l], b.acts[l + 1],
            l > first ? dacts[l] : null, inCols[l] ? in : null, colOffset[l], cols, dacts[l + 1], n, k);
      }
      net.loss().hessianVector(b.acts[K], b.y, n, net.outputSize(), scale, dacts[K], dgs[K], k);
      for (int l = K - 1; l >= low; l--) {
        c.rules[l].backwardTangent(net.layer(l), b.prep[l], c.theta, net.offset(l), b.acts[l], b.acts[l + 1],
            b.grads[l + 1], dgs[l + 1], l > first ? dacts[l] : null, inCols[l] ? in : null, colOffset[l], cols,
            l > low ? dgs[l] : null, inRows[l] ? y : null, rowOffset[l], rows, gn, n, k);
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
}
