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
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;
import org.hesse.nn.Mode;
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
 * layer type has float32 twins (dense and the element-wise activations); anything else is refused on construction
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

  /** One batch's cached float forward data: activations (0 = input, j + 1 = node j's output), signals, primals. */
  private final class Batch {
    final int rows;
    final double[] y;
    final float[][] acts;
    final float[][] grads;
    final double[] out;  // the network output widened to double: the loss works on it
    final LayerContext[] ctx;
    final Primal32[] primal;

    Batch(int b) {
      rows = obj.batchRows(b);
      int tw = net.loss().targetWidth(net.outputSize());
      int start = obj.batchStart(b);
      y = Arrays.copyOfRange(obj.targets(), start * tw, (start + rows) * tw);
      int A = net.nodeCount() + 1;
      acts = new float[A][];
      grads = new float[A][];
      for (int a = 0; a < A; a++) {
        acts[a] = new float[rows * net.activationWidth(a)];
        if (a > 0) grads[a] = new float[rows * net.activationWidth(a)];
      }
      double[] x = obj.features();
      int in = net.inputSize();
      for (int i = 0; i < rows * in; i++) acts[0][i] = (float) x[start * in + i];
      out = new double[rows * net.outputSize()];
      ctx = new LayerContext[net.nodeCount()];
      primal = new Primal32[net.nodeCount()];
      for (Node n : net.nodes()) {
        ctx[n.index] = LayerContext.standalone(n.op, rows, Mode.ANALYSIS, null, n.bufferOffset);
        primal[n.index] = new Primal32(n.op, ctx[n.index], thetaF, n.paramOffset, new float[][] {acts[n.index]},
            acts[n.output()], grads[n.output()], rows);
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
  public static Float32Curvature of(Network net, double[] theta, double[] x, double[] y, int batchSize) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    org.hesse.runtime.MemoryBudget.current().check(Curvature.cacheBytes(net, x.length / Math.max(1, net.inputSize())) / 2,
        "cached float32 forward data");
    return new Float32Curvature(net, theta, x, y, batchSize);
  }

  /** Refuses (one line, {@link InputException}) a network the float32 engine does not run. */
  public static void requireFloat32(Network net) {
    for (Node n : net.nodes()) {
      if (!n.op.float32() || !SecondOrderRules.of(n.op).float32()) throw org.hesse.precision.Precision.noFloat32(n.op.type());
      if (n.inputCount() != 1 || n.input(0) != n.index) {
        throw new InputException("precision f32: node '" + n.name + "' (" + n.op.type() + ") is not in a chain of layers; "
            + "the float32 path runs chains only, use --precision f64");
      }
    }
    if (net.shared() || net.bufferCount() > 0) {
      throw new InputException("precision f32: shared tensors and buffers are not supported in float32; use --precision f64");
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
    for (int i = 0; i < theta.length; i++) thetaF[i] = (float) theta[i];
    double total = 0;
    for (Batch b : batches) {
      total += forwardAndSignals(b, null);
      for (int j = 0; j < rules.length; j++) b.primal[j].prep = rules[j].prepare(b.primal[j], b.primal[j].prep);
    }
    loss = total;
    gradient = null;
  }

  /**
   * Forward, loss (float64 on the widened output) and the VJP of batch b in float; with {@code gradTheta} the
   * batch's parameter gradient is formed there (float, overwritten). Returns the batch's share of the mean loss.
   */
  private double forwardAndSignals(Batch b, float[] gradTheta) {
    int c = net.outputSize();
    for (Node n : net.nodes()) n.op.forward(thetaF, n.paramOffset, b.acts[n.index], b.acts[n.output()], b.rows, b.ctx[n.index]);
    float[] z = b.acts[net.outputActivation()];
    for (int i = 0; i < b.rows * c; i++) b.out[i] = z[i];
    double value = net.loss().sum(b.out, b.y, b.rows, c) / samples;
    double[] g = new double[b.rows * c];
    net.loss().gradient(b.out, b.y, b.rows, c, 1.0 / samples, g);
    float[] gf = b.grads[net.outputActivation()];
    for (int i = 0; i < g.length; i++) gf[i] = (float) g[i];
    if (gradTheta != null) Arrays.fill(gradTheta, 0f);
    for (int j = net.nodeCount() - 1; j >= 0; j--) {
      Node n = net.node(j);
      n.op.backward(thetaF, n.paramOffset, b.acts[j], b.acts[j + 1], b.grads[j + 1], j > 0 ? b.grads[j] : null,
          gradTheta, b.rows, b.ctx[j]);
    }
    return value;
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
        forwardAndSignals(b, gb);
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
      for (int i = 0; i < k * dim; i++) xf[i] = (float) x[i];
      Arrays.fill(y, 0, k * dim, 0.0);
      for (Batch b : batches) {
        Arrays.fill(yf, 0, k * dim, 0f);
        pass(b, k);
        for (int i = 0; i < k * dim; i++) y[i] += yf[i];
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
      net.loss().hessianVector(b.out, b.y, b.rows, c, 1.0 / samples, dzD, outD, k);
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
