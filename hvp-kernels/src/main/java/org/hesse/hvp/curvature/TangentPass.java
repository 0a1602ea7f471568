package org.hesse.hvp.curvature;

import java.util.Arrays;
import org.hesse.hvp.rules.Primal;
import org.hesse.hvp.rules.Scratch;
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.View;
import org.hesse.nn.Executor;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.precision.Float32Twin;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * The tangent pass every second-order product is made of, on one cached batch for k directions: forward tangents
 * (each node's JVP rule) from a direction on some nodes' parameters and/or a tangent injected at one activation, up
 * to a top node; at the top the loss Hessian (or, below the output, the tangent itself divided by N); then the
 * backward tangents (each node's second-order backward rule) through the network's {@link Executor}, which sums
 * fan-out, down to the lowest node whose product or input signal is wanted. Full, block and off-diagonal products,
 * activation-space blocks, dense output Hessians, back-matching Gram matrices are all this pass with other
 * arguments. Owns its tangent buffers, scratch and executor: one per operator, not thread-safe.
 *
 * <p>Its float32 twin {@code TangentPass32} (generated, docs/precision.md) is the same pass on a
 * {@code Curvature.BatchCache32}: float tangents through the rules' float twins, the loss Hessian float64.
 */
@Float32Twin
final class TangentPass {
  private static final Kernels K = KernelProvider.get();
  private final Network net;
  private final SecondOrderRule[] rules;
  private final int maxBatch;
  private final int samples;
  private final Executor executor;
  private final Scratch scratch = new Scratch();
  private final boolean[] live;
  private final double[][][] tangentsIn;  // per node: the tangents of its inputs (null = zero)
  private double[][] dacts;
  private double[][] dgs;
  private int capacity;
  private double[] product;  // one node's part of k products, for quadratic forms its rule does not take itself
  private final int lowest;  // the lowest activation with tangent buffers

  TangentPass(Curvature c) {
    this(c, 0);
  }

  /**
   * A pass with tangent buffers only for activations {@code lowest} and up: enough for passes that inject, read and
   * stop at or above it (a pass started at a layer's output does not hold tangents for the whole network).
   */
  TangentPass(Curvature c, int lowest) {
    this(c.net, c.rules, c.maxBatch, c.samples, lowest);
  }

  /**
   * A pass over {@code net}'s nodes with their rules, for batches of at most maxBatch rows of N = samples, with
   * tangent buffers for activations {@code lowest} and up.
   */
  TangentPass(Network net, SecondOrderRule[] rules, int maxBatch, int samples, int lowest) {
    this.net = net;
    this.rules = rules;
    this.maxBatch = maxBatch;
    this.samples = samples;
    this.lowest = lowest;
    int A = net.nodeCount() + 1;
    this.executor = new Executor(net, maxBatch);
    this.live = new boolean[A];
    this.tangentsIn = new double[A - 1][][];
    for (Node n : net.nodes()) tangentsIn[n.index] = new double[n.inputCount()][];
  }

  /** Tangent buffers for k directions. */
  private void ensure(int k) {
    if (k <= capacity) return;
    int A = net.nodeCount() + 1;
    dacts = new double[A][];
    dgs = new double[A][];
    for (int a = lowest; a < A; a++) {
      dacts[a] = new double[maxBatch * k * net.activationWidth(a)];
      dgs[a] = new double[maxBatch * k * net.activationWidth(a)];
    }
    executor.ensure(maxBatch * k);
    capacity = k;
  }

  /**
   * One pass on batch b.
   *
   * @param v per node the direction on its parameters (null: none)
   * @param inject the activation a tangent {@code dx} is injected at (−1: none)
   * @param top the last node of the forward tangent: the output node when {@code loss}, where the loss Hessian
   *     acts; else the tangent at its output divided by N comes back (a Jacobian Gram matrix)
   * @param hv per node where its product goes (null: not wanted)
   * @param read the activation whose signal tangent is written to {@code readOut} (−1: none)
   * @param low the lowest node the backward tangent visits
   */
  void run(Curvature.BatchCache b, int k, View[] v, int inject, double[] dx, int top, boolean loss, View[] hv, int low, int read,
           double[] readOut, boolean gaussNewton) {
    run(b, k, v, inject, dx, top, loss, hv, null, low, read, readOut, gaussNewton);
  }

  /**
   * The pass of a product {@code Hv} taken only through its quadratic forms: for every node j with a direction
   * (down to node low), adds {@code ⟨v_j, (Hv)_j⟩} of direction d to {@code q[j·k + d]}, where the node's rule can
   * without forming its part of Hv ({@link org.hesse.hvp.rules.SecondOrderRule#quadraticForm}), else from that
   * part formed in a buffer of the pass.
   */
  void quadraticForms(Curvature.BatchCache b, int k, View[] v, int top, int low, double[] q, boolean gaussNewton) {
    run(b, k, v, -1, null, top, true, null, q, low, -1, null, gaussNewton);
  }

  private void run(Curvature.BatchCache b, int k, View[] v, int inject, double[] dx, int top, boolean loss, View[] hv,
                   double[] q, int low, int read, double[] readOut, boolean gaussNewton) {
    ensure(k);
    int rows = b.rows;
    Arrays.fill(live, false);
    double[] savedD = null;
    double[] savedG = null;
    if (inject >= 0) {
      savedD = dacts[inject];
      dacts[inject] = dx;
      live[inject] = true;
    }
    if (read >= 0) {
      savedG = dgs[read];
      dgs[read] = readOut;
    }
    try {
      for (int j = 0; j <= top; j++) {
        Node n = net.node(j);
        double[][] t = tangentsIn[j];
        boolean any = v != null && v[j] != null;
        for (int i = 0; i < t.length; i++) {
          int a = n.input(i);
          t[i] = live[a] ? dacts[a] : null;
          any |= t[i] != null;
        }
        if (!any) continue;
        rules[j].jvp(b.primal[j], t, v == null ? null : v[j], dacts[n.output()], k, scratch);
        live[n.output()] = true;
      }
      int topAct = top + 1;
      int width = net.activationWidth(topAct);
      double[] dTop = dacts[topAct];
      double[] gTop = dgs[topAct];
      if (!live[topAct]) Arrays.fill(dTop, 0, rows * k * width, 0.0);
      if (loss) {
        net.loss().hessianVector(b.ws.activation(topAct), b.y, rows, width, 1.0 / samples, dTop, gTop, k);
      } else {
        for (int i = 0, m = rows * k * width; i < m; i++) gTop[i] = dTop[i] / samples;
      }
      executor.backward(dgs, topAct, top, low, read, rows * k, (j, dgIns) -> {
        if (q != null && v != null && v[j] != null) {
          quadraticForm(b, j, k, v[j], dgIns, gaussNewton, q);
          return;
        }
        View h = hv == null ? null : hv[j];
        if (h == null && Executor.allNull(dgIns)) return;
        rules[j].backwardTangent(b.primal[j], dgs[j + 1], tangentsIn[j], v == null ? null : v[j], dgIns, h,
            gaussNewton, k, scratch);
      });
    } finally {
      if (inject >= 0) dacts[inject] = savedD;
      if (read >= 0) dgs[read] = savedG;
    }
  }

  /** Node j's backward tangent in {@link #quadraticForms}: the rule's own quadratic form, else product and dots. */
  private void quadraticForm(Curvature.BatchCache b, int j, int k, View v, double[][] dgIns, boolean gaussNewton,
                             double[] q) {
    SecondOrderRule rule = rules[j];
    if (rule.quadraticForm(b.primal[j], dgs[j + 1], dacts[j + 1], tangentsIn[j], v, dgIns, gaussNewton, k, scratch, q,
        j * k)) {
      return;
    }
    int p = net.node(j).op.paramCount();
    if (product == null || product.length < k * p) product = new double[k * p];
    Arrays.fill(product, 0, k * p, 0.0);
    rule.backwardTangent(b.primal[j], dgs[j + 1], tangentsIn[j], v, dgIns, new View(product, 0, p), gaussNewton, k,
        scratch);
    for (int d = 0; d < k; d++) q[j * k + d] += K.dot(v.array(), v.offset() + d * v.stride(), product, d * p, p);
  }
}
