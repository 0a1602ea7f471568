package org.hesse.nn;

import org.hesse.precision.Float32Twin;

/**
 * Per-batch buffers of a network, sized once for a maximum batch and reused: every graph activation (0 is the
 * input, j + 1 the output of node j), the gradient signal at each activation but the input, each node's context and
 * the executor's scratch. Not thread-safe: one per thread. Its float32 twin {@code Workspace32} (generated,
 * docs/precision.md) holds them in float for the float32 twins of {@link Network#forward} and the passes after it;
 * the buffers stay float64 in both.
 */
@Float32Twin
public final class Workspace {
  final int maxBatch;
  final Network net;
  final double[][] acts;
  final double[][] grads;
  final double[][][] inputs;  // per node: the activations it reads (views of acts)
  final LayerContext[] contexts;
  final Executor executor;
  private double[] slots;  // a network with shared tensors: θ expanded to the nodes' slots, and their gradient
  private double[] slotGrad;

  Workspace(Network net, int maxBatch) {
    if (maxBatch <= 0) throw new IllegalArgumentException("workspace: batch size must be > 0, got " + maxBatch);
    this.maxBatch = maxBatch;
    this.net = net;
    int A = net.nodeCount() + 1;
    // activations and signals of every node for a full batch: sized (overflow-safe) before allocating
    long total = 0;
    for (int a = 0; a < A; a++) {
      int w = net.activationWidth(a);
      Sizes.times(maxBatch, w, "workspace: activation " + a + " (batch " + maxBatch + " × width " + w + ")");
      total += (a > 0 ? 2L : 1L) * maxBatch * w;
    }
    // the value size of this class's precision: double[] here, float[] in the generated Workspace32
    org.hesse.runtime.MemoryBudget.current().checkValues(total, org.hesse.precision.Precision.of(double[].class).bytes,
        "the activations of a batch of " + maxBatch + " (" + total + " values)");
    acts = new double[A][];
    grads = new double[A][];
    for (int a = 0; a < A; a++) {
      acts[a] = new double[maxBatch * net.activationWidth(a)];
      if (a > 0) grads[a] = new double[maxBatch * net.activationWidth(a)];  // no pass forms the signal at the input
    }
    contexts = new LayerContext[A - 1];
    inputs = new double[A - 1][][];
    @Float32Twin.Keep double[] buffers = net.bufferCount() == 0 ? null : net.initialBuffers();
    for (Node n : net.nodes()) {
      contexts[n.index] = new LayerContext(n.op.newState(maxBatch), n.bufferOffset);
      contexts[n.index].buffers = buffers;
      inputs[n.index] = new double[n.inputCount()][];
      for (int i = 0; i < n.inputCount(); i++) inputs[n.index][i] = acts[n.input(i)];
    }
    executor = new Executor(net, maxBatch);
  }

  /** The slot vector the last forward expanded θ into (networks with shared tensors, {@link Network#expand}). */
  double[] slots() {
    if (slots == null) slots = new double[net.slotCount()];
    return slots;
  }

  double[] slotGradient() {
    if (slotGrad == null) slotGrad = new double[net.slotCount()];
    return slotGrad;
  }

  /** The forward mode of every node (default {@link Mode#ANALYSIS}). */
  public Workspace mode(Mode mode) {
    for (LayerContext c : contexts) c.mode = mode;
    return this;
  }

  public Mode mode() {
    return contexts.length == 0 ? Mode.ANALYSIS : contexts[0].mode;
  }

  /**
   * The buffer vector the nodes read (and in TRAIN mode update): by default a private copy of the network's
   * initial buffers. Pass the model's own vector to use and update it in place.
   */
  public Workspace buffers(@Float32Twin.Keep double[] buffers) {
    for (LayerContext c : contexts) c.buffers = buffers;
    return this;
  }

  /** The generator random layers draw from in TRAIN mode. */
  public Workspace rng(java.util.SplittableRandom rng) {
    for (LayerContext c : contexts) c.rng = rng;
    return this;
  }

  /** Node j's context (mode, state, buffers); for a layer list without residual blocks node j is layer j. */
  public LayerContext context(int node) {
    return contexts[node];
  }

  public int maxBatch() { return maxBatch; }

  /** The input buffer (row-major maxBatch × input): fill rows 0..batch before a forward pass. */
  public double[] input() { return acts[0]; }

  /** Layer activation k (0 = input, k+1 = output of layer k). */
  public double[] act(int k) { return acts[net.activation(k)]; }

  /** Gradient signal of the scaled loss with respect to layer activation k ≥ 1, after a backward pass. */
  public double[] grad(int k) { return grads[net.activation(k)]; }

  /** Graph activation a (0 = input, j + 1 = output of node j). */
  public double[] activation(int a) { return acts[a]; }

  /** The gradient signal at graph activation a ≥ 1. */
  public double[] signal(int a) { return grads[a]; }

  /** The activations node j reads (views of the activation arrays). */
  public double[][] nodeInputs(int j) { return inputs[j]; }

  /** The network output after a forward pass. */
  public double[] output() { return acts[net.outputActivation()]; }

  void checkBatch(int batch) {
    if (batch <= 0 || batch > maxBatch) {
      throw new IllegalArgumentException("batch: expected 1.." + maxBatch + " rows (the workspace's size), got " + batch);
    }
  }
}
