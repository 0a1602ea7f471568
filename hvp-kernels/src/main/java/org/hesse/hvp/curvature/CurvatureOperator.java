package org.hesse.hvp.curvature;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.rules.View;
import org.hesse.nn.Network;

/**
 * A Hessian or GGN block {@code ∂²L/∂θ_R ∂θ_C} as a matrix-free operator, where C (the columns: where the
 * direction lives) and R (the rows: where the product is read) are lists of parametrised layers. Vectors are
 * the concatenation of those layers' parameter blocks (each weights then bias), in layer order.
 *
 * <p>One application: the forward tangent starts at the first layer of C (zero before it) and runs to the
 * loss; the backward tangent runs from the loss down to the first layer of R and stops there. So a block of a
 * late layer costs a fraction of a full product. Owns its tangent buffers: not thread-safe.
 *
 * <p>With shared tensors ({@link Network#shared()}) the vectors are over the unique parameters: a direction is
 * expanded to the nodes' slots (every use of a tensor gets it) and the slot products are summed back over the uses,
 * {@code Eᵀ H E}; the passes run from and down to the first node using any of C's or R's tensors.
 */
public final class CurvatureOperator implements LinearOperator {
  private final Curvature c;
  private final Curvature.Kind kind;
  private final boolean[] inCols;  // per layer
  private final boolean[] inRows;
  private final int[] colOffset;  // offset of layer l's block inside a column vector, or −1
  private final int[] rowOffset;
  private final int cols;
  private final int rows;
  private final int low;  // the first node of the lowest row layer: the backward tangent stops there
  private final TangentPass pass;
  private final View[] vViews;
  private final View[] hvViews;
  private double[] vArray;  // the arrays the views are made for
  private double[] hvArray;
  private double[] xCopy;  // the directions of an in-place apply
  private long applications;
  private final int[] colPos;  // shared tensors: per slot the position of its parameter in a column vector, or −1
  private final int[] rowPos;
  private double[] xSlots;  // shared tensors: k directions and products in the slot layout
  private double[] ySlots;

  CurvatureOperator(Curvature c, Curvature.Kind kind, List<Integer> rowLayers, List<Integer> colLayers) {
    this.c = c;
    this.kind = kind;
    Network net = c.net;
    int K = net.depth();
    inCols = new boolean[K];
    inRows = new boolean[K];
    colOffset = new int[K];
    rowOffset = new int[K];
    Arrays.fill(colOffset, -1);
    Arrays.fill(rowOffset, -1);
    int cs = 0;
    int rs = 0;
    int lo = net.nodeCount();
    for (int k = 0; k < K; k++) {
      int p = net.blockSize(k);
      if (colLayers.contains(k)) {
        inCols[k] = true;
        colOffset[k] = cs;
        cs += p;
      }
      if (rowLayers.contains(k)) {
        inRows[k] = true;
        rowOffset[k] = rs;
        rs += p;
        lo = Math.min(lo, net.firstNode(k));
      }
    }
    this.cols = cs;
    this.rows = rs;
    this.pass = new TangentPass(c);
    this.vViews = new View[net.nodeCount()];
    this.hvViews = new View[net.nodeCount()];
    if (net.shared()) {
      colPos = positions(net, inCols, colOffset);
      rowPos = positions(net, inRows, rowOffset);
      for (org.hesse.nn.Node n : net.nodes()) {
        for (int s = n.paramOffset; s < n.paramOffset + n.op.paramCount(); s++) if (rowPos[s] >= 0) lo = Math.min(lo, n.index);
      }
    } else {
      colPos = null;
      rowPos = null;
    }
    this.low = lo;
  }

  /** Per slot the position of its unique parameter in a vector holding the chosen layers' blocks, or −1. */
  private static int[] positions(Network net, boolean[] chosen, int[] blockOffset) {
    int[] inVector = new int[net.paramCount()];
    Arrays.fill(inVector, -1);
    for (int l = 0; l < chosen.length; l++) {
      if (chosen[l]) for (int i = 0; i < net.blockSize(l); i++) inVector[net.offset(l) + i] = blockOffset[l] + i;
    }
    int[] pos = new int[net.slotCount()];
    for (int s = 0; s < pos.length; s++) pos[s] = inVector[net.slotParam(s)];
    return pos;
  }

  /** Views on the slot arrays for k directions: every node with a slot in C (directions) or R (products). */
  private void slotViews(int k) {
    Network net = c.net;
    int S = net.slotCount();
    if (xSlots != null && xSlots.length >= k * S) return;
    xSlots = new double[k * S];
    ySlots = new double[k * S];
    for (org.hesse.nn.Node n : net.nodes()) {
      for (int s = n.paramOffset; s < n.paramOffset + n.op.paramCount(); s++) {
        if (colPos[s] >= 0) vViews[n.index] = new View(xSlots, n.paramOffset, S);
        if (rowPos[s] >= 0) hvViews[n.index] = new View(ySlots, n.paramOffset, S);
      }
    }
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
   * The per-layer quadratic forms of k vectors (k blocks of {@link #cols()} values, as in {@link #applyMany}) on a
   * square operator: {@code q[i][j] = x_{j,l}ᵀ (A x_j)_l} for the i-th layer l of the operator, so that
   * {@code Σ_i q[i][j] = x_jᵀ A x_j}. The passes of {@link #applyMany} without forming A x where a node's rule can
   * take the inner product more cheaply (the direction on a first dense layer: no GEMM dgᵀx per direction).
   */
  public double[][] quadraticForms(double[] x, int k) {
    dim();
    if (!symmetric()) throw new IllegalStateException("quadratic forms: rows and columns are different layers");
    LinearOperator.checkMany(x, x, k, rows, cols);
    Network net = c.net;
    if (net.shared()) return sharedQuadraticForms(x, k);
    double[] perNode = new double[net.nodeCount() * k];
    if (cols > 0) {
      if (x != vArray) {
        for (int l = 0; l < net.depth(); l++) if (inCols[l]) c.views(x, l, colOffset[l], cols, vViews);
        vArray = x;
      }
      int top = net.outputActivation() - 1;
      boolean gn = kind == Curvature.Kind.GGN;
      c.forEachBatch((i, b) -> pass.quadraticForms(b, k, vViews, top, low, perNode, gn));
    }
    List<Integer> layers = new ArrayList<>();
    for (int l = 0; l < net.depth(); l++) if (inRows[l]) layers.add(l);
    double[][] q = new double[layers.size()][k];
    for (int i = 0; i < layers.size(); i++) {
      for (int n = net.firstNode(layers.get(i)); n <= net.lastNode(layers.get(i)); n++) {
        for (int j = 0; j < k; j++) q[i][j] += perNode[n * k + j];
      }
    }
    applications += k;
    return q;
  }

  /**
   * With shared tensors a layer's block is over the unique parameters, while the passes' per-node forms are over
   * slots (a tensor's second use sits in another layer's nodes): the product, then each block's dot products.
   */
  private double[][] sharedQuadraticForms(double[] x, int k) {
    Network net = c.net;
    double[] y = new double[k * rows];
    applyMany(x, y, k);  // counts the k applications
    List<Integer> layers = new ArrayList<>();
    for (int l = 0; l < net.depth(); l++) if (inRows[l]) layers.add(l);
    double[][] q = new double[layers.size()][k];
    for (int i = 0; i < layers.size(); i++) {
      int l = layers.get(i);
      for (int j = 0; j < k; j++) {
        double s = 0;
        for (int p = rowOffset[l]; p < rowOffset[l] + net.blockSize(l); p++) s += x[j * cols + p] * y[j * rows + p];
        q[i][j] = s;
      }
    }
    return q;
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
    Network net = c.net;
    boolean gn = kind == Curvature.Kind.GGN;
    int top = net.outputActivation() - 1;
    if (net.shared()) {  // E x on the slots, the passes, Eᵀ of the slot products (x may be y: read before written)
      slotViews(k);
      int S = net.slotCount();
      for (int j = 0; j < k; j++) {
        for (int s = 0; s < S; s++) xSlots[j * S + s] = colPos[s] >= 0 ? x[j * cols + colPos[s]] : 0.0;
      }
      Arrays.fill(ySlots, 0, k * S, 0.0);
      c.forEachBatch((i, b) -> pass.run(b, k, vViews, -1, null, top, true, hvViews, low, -1, null, gn));
      Arrays.fill(y, 0, k * rows, 0.0);
      for (int j = 0; j < k; j++) {
        for (int s = 0; s < S; s++) if (rowPos[s] >= 0) y[j * rows + rowPos[s]] += ySlots[j * S + s];
      }
      applications += k;
      return;
    }
    // The rules read the directions from x and write the products into y where they are (layer l's block of
    // vector j at colOffset[l] + j·cols and rowOffset[l] + j·rows); in place, x is read from a copy.
    double[] in = x;
    if (x == y) {
      if (xCopy == null || xCopy.length < k * cols) xCopy = new double[k * cols];
      System.arraycopy(x, 0, xCopy, 0, k * cols);
      in = xCopy;
    }
    if (in != vArray) {
      for (int l = 0; l < net.depth(); l++) if (inCols[l]) c.views(in, l, colOffset[l], cols, vViews);
      vArray = in;
    }
    if (y != hvArray) {
      for (int l = 0; l < net.depth(); l++) if (inRows[l]) c.views(y, l, rowOffset[l], rows, hvViews);
      hvArray = y;
    }
    Arrays.fill(y, 0, k * rows, 0.0);
    c.forEachBatch((i, b) -> pass.run(b, k, vViews, -1, null, top, true, hvViews, low, -1, null, gn));
    applications += k;
  }
}
