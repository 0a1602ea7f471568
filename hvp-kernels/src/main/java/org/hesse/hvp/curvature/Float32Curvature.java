package org.hesse.hvp.curvature;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.rules.Primal32;
import org.hesse.hvp.rules.Scratch32;
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.SecondOrderRules;
import org.hesse.hvp.rules.View32;
import org.hesse.io.InputException;
import org.hesse.nn.Float32Workspace;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.nn.Objective;

/**
 * {@link Curvature} with float32 storage (docs/precision.md): parameters, activations, signals, tangents and
 * per-batch products are float arrays and every product is an SGEMM, through the layers' and rules' generated
 * float32 twins. What needs float64 stays float64: the loss, its gradient and its Hessian-vector product at the
 * output (a few values per sample, widened and computed by the float64 {@link org.hesse.nn.Loss}), the sum of the
 * per-batch products over the data set, and the operators' vectors (the eigen-solvers' Lanczos / ARPACK vectors are
 * double; a direction is rounded to float once per application).
 *
 * <p>Scope: chains of layers (each node reads the previous one's output), without shared tensors, whose every
 * layer type has float32 twins (docs/precision.md: dense, the activations, conv2d, pooling, flatten, dropout, layernorm,
 * softmax); anything else is refused on construction
 * with a one-line {@link InputException} naming the layer type. Not thread-safe (one operator per thread, as
 * {@link Curvature}); mode ANALYSIS.
 */
public final class Float32Curvature {
  private final Network net;
  private final double[] theta;
  private final float[] thetaF;
  private final int samples;
  private final int maxBatch;
  private final SecondOrderRule[] rules;
  private final List<Batch> batches = new ArrayList<>();
  private final Objective obj;
  private double loss;
  private double[] gradient;

  /** One batch's cached float forward data (its workspace) and per node the rules' view of it. */
  private final class Batch {
    final int rows;
    final double[] y;
    final Float32Workspace ws;
    final Primal32[] primal;

    Batch(int b) {
      rows = obj.batchRows(b);
      int tw = net.loss().targetWidth(net.outputSize());
      int start = obj.batchStart(b);
      y = Arrays.copyOfRange(obj.targets(), start * tw, (start + rows) * tw);
      ws = new Float32Workspace(net, rows);
      double[] x = obj.features();
      int in = net.inputSize();
      float[] input = ws.input();
      for (int i = 0; i < rows * in; i++) input[i] = (float) x[start * in + i];
      primal = new Primal32[net.nodeCount()];
      for (Node n : net.nodes()) {
        primal[n.index] = new Primal32(n.op, ws.context(n.index), thetaF, n.paramOffset,
            new float[][] {ws.activation(n.index)}, ws.activation(n.output()), ws.signal(n.output()), rows);
      }
    }
  }

  private Float32Curvature(Network net, double[] theta, double[] x, double[] y, int batchSize) {
    requireFloat32(net);
    this.obj = new Objective(net, x, y, batchSize);
    this.net = net;
    this.theta = theta.clone();
    this.thetaF = new float[theta.length];
    this.samples = obj.samples();
    this.maxBatch = obj.batchSize();
    this.rules = new SecondOrderRule[net.nodeCount()];
    for (Node n : net.nodes()) rules[n.index] = SecondOrderRules.of(n.op);
    for (int b = 0; b < obj.batches(); b++) batches.add(new Batch(b));
    recompute();
  }

  /**
   * The float32 curvature of {@code net} at {@code theta} on features x (row-major N × input) and targets y, in
   * contiguous batches of at most batchSize rows, as {@link Curvature#of(Network, double[], double[], double[], int)}.
   *
   * @throws InputException when a layer type has no float32 path, or the network is not a chain without shared
   *     tensors or buffers
   */
  /**
   * Bytes of the float32 forward data this curvature keeps for {@code samples} samples: half the float64 cache's
   * ({@link Curvature#cacheBytes}); it keeps every batch (no streaming yet).
   */
  public static long cacheBytes(Network net, long samples) {
    return Curvature.cacheBytes(net, samples) / 2;
  }

  public static Float32Curvature of(Network net, double[] theta, double[] x, double[] y, int batchSize) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    requireFloat32(net);
    org.hesse.runtime.MemoryBudget.current().check(cacheBytes(net, x.length / Math.max(1, net.inputSize())),
        "cached float32 forward data");
    return new Float32Curvature(net, theta, x, y, batchSize);
  }

  /**
   * Refuses (one line, {@link InputException}) a network the float32 curvature does not run: what
   * {@link Float32Workspace#requireFloat32} refuses, and a layer type whose second-order rules have no float32 twins.
   */
  public static void requireFloat32(Network net) {
    Float32Workspace.requireFloat32(net);
    for (Node n : net.nodes()) {
      if (!SecondOrderRules.of(n.op).float32()) throw org.hesse.precision.Precision.noFloat32(n.op.type());
    }
  }

  /** Moves to new parameters on the same data (every cached quantity recomputed in place). */
  public void update(double[] theta) {
    if (theta.length != this.theta.length) {
      throw new IllegalArgumentException("parameters: expected " + this.theta.length + " values, got " + theta.length);
    }
    System.arraycopy(theta, 0, this.theta, 0, theta.length);
    recompute();
  }

  private void recompute() {
    Float32Workspace.round(theta, thetaF);
    double total = 0;
    for (Batch b : batches) {
      total += b.ws.lossAndGradient(thetaF, b.y, b.rows, 1.0 / samples, null);
      for (int j = 0; j < rules.length; j++) b.primal[j].prep = rules[j].prepare(b.primal[j], b.primal[j].prep);
    }
    loss = total;
    gradient = null;
  }

  public Network network() { return net; }

  public int samples() { return samples; }

  public int batchSize() { return maxBatch; }

  /** The mean loss at θ (float forward, float64 loss). */
  public double loss() { return loss; }

  /** The parameters (a copy). */
  public double[] parameters() { return theta.clone(); }

  /** The gradient of the mean loss (float per batch, summed over batches in double; a copy). */
  public synchronized double[] gradient() {
    if (gradient == null) {
      double[] g = new double[theta.length];
      float[] gb = new float[theta.length];
      for (Batch b : batches) {
        Arrays.fill(gb, 0f);
        b.ws.lossAndGradient(thetaF, b.y, b.rows, 1.0 / samples, gb);
        for (int i = 0; i < g.length; i++) g[i] += gb[i];
      }
      gradient = g;
    }
    return gradient.clone();
  }

  /** The full Hessian or GGN as an operator on all parameters (double vectors, float passes). */
  public LinearOperator full(Curvature.Kind kind) {
    return new Operator(kind, net.parametrisedLayers());
  }

  /** The diagonal block of layer l (the truncated pass). */
  public LinearOperator block(Curvature.Kind kind, int layer) {
    if (layer < 0 || layer >= net.depth() || net.blockSize(layer) == 0) {
      throw new IllegalArgumentException("layer " + layer + " has no parameters; layers with parameters: "
          + net.parametrisedLayers());
    }
    return new Operator(kind, List.of(layer));
  }

  /**
   * The passes of {@link DenseLayerTrace} in float32: a tangent injected at a node's output (rounded to float), the
   * chain above it forward, the float64 loss Hessian at the top, back down to the same activation, widened.
   */
  DenseLayerTrace.OutputPasses outputPasses() {
    return new DenseLayerTrace.OutputPasses() {
      @Override public Network network() { return net; }

      @Override public int samples() { return samples; }

      @Override public int batchSize() { return maxBatch; }

      @Override public boolean perSampleDefined() { return !net.batchCoupled(); }

      @Override public void forEachBatch(Curvature.Kind kind, int node, int k, DenseLayerTrace.BatchVisitor f) {
        ActivationPass pass = new ActivationPass(kind, net.node(node).output(), k);
        int in = net.activationWidth(net.node(node).input(0));
        double[] sq = new double[maxBatch];
        for (int bi = 0; bi < batches.size(); bi++) {
          Batch b = batches.get(bi);
          float[] x = b.ws.activation(net.node(node).input(0));
          for (int s = 0; s < b.rows; s++) {
            double w = 0;
            for (int j = s * in; j < (s + 1) * in; j++) w += (double) x[j] * x[j];
            sq[s] = w;
          }
          f.visit(bi * maxBatch, b.rows, sq, (u, mu) -> pass.run(b, u, mu));
        }
      }
    };
  }

  /** The activation-space pass of a chain (as {@code Curvature#activationPass} with inject = read = a) in float. */
  private final class ActivationPass {
    private final boolean gn;
    private final int a;
    private final int k;
    private final Scratch32 scratch = new Scratch32();
    private final float[][] dacts;
    private final float[][] dgs;
    private final double[] outD;
    private final double[] dzD;

    ActivationPass(Curvature.Kind kind, int a, int k) {
      this.gn = kind == Curvature.Kind.GGN;
      this.a = a;
      this.k = k;
      int A = net.nodeCount() + 1;
      dacts = new float[A][];
      dgs = new float[A][];
      for (int j = a; j < A; j++) {
        dacts[j] = new float[maxBatch * k * net.activationWidth(j)];
        dgs[j] = new float[maxBatch * k * net.activationWidth(j)];
      }
      outD = new double[maxBatch * k * net.outputSize()];
      dzD = new double[maxBatch * k * net.outputSize()];
    }

    /** mu = M u on batch b for rows·k directions at activation a (row-major as the float64 pass). */
    void run(Batch b, double[] u, double[] mu) {
      int top = net.nodeCount() - 1;
      int m = b.rows * k * net.activationWidth(a);
      float[] ua = dacts[a];
      for (int i = 0; i < m; i++) ua[i] = (float) u[i];
      float[][] dxs = new float[1][];
      float[][] dgIns = new float[1][];
      for (int j = a; j <= top; j++) {  // node j reads activation j
        dxs[0] = dacts[j];
        rules[j].jvp(b.primal[j], dxs, null, dacts[j + 1], k, scratch);
      }
      int c = net.outputSize();
      int mc = b.rows * k * c;
      float[] dz = dacts[top + 1];
      for (int i = 0; i < mc; i++) dzD[i] = dz[i];
      net.loss().hessianVector(b.ws.output(), b.y, b.rows, c, 1.0 / samples, dzD, outD, k);
      if (a == top + 1) {  // the output layer: M u is the loss Hessian's product itself, kept in double
        System.arraycopy(outD, 0, mu, 0, mc);
        return;
      }
      float[] dg = dgs[top + 1];
      for (int i = 0; i < mc; i++) dg[i] = (float) outD[i];
      for (int j = top; j >= a; j--) {
        dxs[0] = dacts[j];
        dgIns[0] = dgs[j];
        rules[j].backwardTangent(b.primal[j], dgs[j + 1], dxs, null, dgIns, null, gn, k, scratch);
      }
      float[] g = dgs[a];
      for (int i = 0; i < m; i++) mu[i] = g[i];
    }
  }

  /** A square block over some layers: directions and products on their parameters. */
  private final class Operator implements LinearOperator {
    private final boolean gn;
    private final int dim;
    private final int low;  // the first node of the block: the forward tangent starts and the backward one stops here
    private final int[] blockOffset;  // per node, the offset of its parameters inside a vector, or −1
    private final Scratch32 scratch = new Scratch32();
    private final View32[] v;
    private final View32[] hv;
    private float[][] dacts;
    private float[][] dgs;
    private float[] xf;
    private float[] yf;
    private double[] outD;
    private double[] dzD;
    private int capacity;

    Operator(Curvature.Kind kind, List<Integer> layers) {
      gn = kind == Curvature.Kind.GGN;
      blockOffset = new int[net.nodeCount()];
      Arrays.fill(blockOffset, -1);
      int d = 0;
      int lo = net.nodeCount();
      for (int l : layers) {
        lo = Math.min(lo, net.firstNode(l));
        for (int j = net.firstNode(l); j <= net.lastNode(l); j++) {
          Node n = net.node(j);
          if (n.op.paramCount() > 0) blockOffset[j] = d + n.paramOffset - net.offset(l);
        }
        d += net.blockSize(l);
      }
      dim = d;
      low = lo;
      v = new View32[net.nodeCount()];
      hv = new View32[net.nodeCount()];
    }

    @Override public int dim() { return dim; }

    private void ensure(int k) {
      if (k <= capacity) return;
      int A = net.nodeCount() + 1;
      dacts = new float[A][];
      dgs = new float[A][];
      for (int a = 1; a < A; a++) {
        dacts[a] = new float[maxBatch * k * net.activationWidth(a)];
        dgs[a] = new float[maxBatch * k * net.activationWidth(a)];
      }
      xf = new float[k * dim];
      yf = new float[k * dim];
      outD = new double[maxBatch * k * net.outputSize()];
      dzD = new double[maxBatch * k * net.outputSize()];
      for (int j = 0; j < net.nodeCount(); j++) {
        if (blockOffset[j] < 0) continue;
        v[j] = new View32(xf, blockOffset[j], dim);
        hv[j] = new View32(yf, blockOffset[j], dim);
      }
      capacity = k;
    }

    @Override
    public void apply(double[] x, double[] y) {
      applyMany(x, y, 1);
    }

    @Override
    public void applyMany(double[] x, double[] y, int k) {
      LinearOperator.checkMany(x, y, k, dim, dim);
      ensure(k);
      int n = k * dim;
      for (int i = 0; i < n; i++) xf[i] = (float) x[i];
      // The first batch's product is widened into y, the others added: no pass to zero y (one batch, as at
      // batch = N, is then one widening).
      for (int bi = 0; bi < batches.size(); bi++) {
        Arrays.fill(yf, 0, n, 0f);
        pass(batches.get(bi), k);
        if (bi == 0) {
          for (int i = 0; i < n; i++) y[i] = yf[i];
        } else {
          for (int i = 0; i < n; i++) y[i] += yf[i];
        }
      }
    }

    /** The tangent pass of TangentPass on a chain: forward tangents from the block up, loss Hessian, back down to it. */
    private void pass(Batch b, int k) {
      int top = net.nodeCount() - 1;
      float[][] dxs = new float[1][];
      float[][] dgIns = new float[1][];
      for (int j = low; j <= top; j++) {
        dxs[0] = j > low ? dacts[j] : null;
        rules[j].jvp(b.primal[j], dxs, v[j], dacts[j + 1], k, scratch);
      }
      int c = net.outputSize();
      int m = b.rows * k * c;
      float[] dz = dacts[top + 1];
      for (int i = 0; i < m; i++) dzD[i] = dz[i];
      net.loss().hessianVector(b.ws.output(), b.y, b.rows, c, 1.0 / samples, dzD, outD, k);
      float[] dg = dgs[top + 1];
      for (int i = 0; i < m; i++) dg[i] = (float) outD[i];
      for (int j = top; j >= low; j--) {
        dxs[0] = j > low ? dacts[j] : null;
        dgIns[0] = j > low ? dgs[j] : null;
        rules[j].backwardTangent(b.primal[j], dgs[j + 1], dxs, v[j], dgIns, hv[j], gn, k, scratch);
      }
    }
  }
}
