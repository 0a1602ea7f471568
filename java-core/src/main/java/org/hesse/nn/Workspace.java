package org.hesse.nn;

/**
 * Per-batch buffers of a network, sized once for a maximum batch and reused: the activations
 * ({@code act(0)} is the input, {@code act(k+1)} the output of layer k) and the gradient signal with respect
 * to each activation but the input. Not thread-safe: one per thread.
 */
public final class Workspace {
  final int maxBatch;
  final double[][] acts;
  final double[][] grads;
  final LayerContext[] contexts;

  Workspace(Network net, int maxBatch) {
    if (maxBatch <= 0) throw new IllegalArgumentException("workspace: batch size must be > 0, got " + maxBatch);
    this.maxBatch = maxBatch;
    int K = net.depth();
    // activations and signals of every layer for a full batch: sized (overflow-safe) before allocating
    long total = 0;
    for (int k = 0; k <= K; k++) {
      Sizes.times(maxBatch, net.width(k), "workspace: activation " + k + " (batch " + maxBatch + " × width " + net.width(k) + ")");
      total += (k > 0 ? 2L : 1L) * maxBatch * net.width(k);
    }
    org.hesse.runtime.MemoryBudget.current().checkDoubles(1, total,
        "the activations of a batch of " + maxBatch + " (" + total + " values)");
    acts = new double[K + 1][];
    grads = new double[K + 1][];
    for (int k = 0; k <= K; k++) {
      acts[k] = new double[maxBatch * net.width(k)];
      if (k > 0) grads[k] = new double[maxBatch * net.width(k)];  // no pass forms the signal at the input
    }
    contexts = new LayerContext[K];
    double[] buffers = net.bufferCount() == 0 ? null : net.initialBuffers();
    for (int k = 0; k < K; k++) {
      contexts[k] = new LayerContext(net.layer(k).newState(maxBatch), net.bufferOffset(k));
      contexts[k].buffers = buffers;
    }
  }

  /** The forward mode of every layer (default {@link Mode#ANALYSIS}). */
  public Workspace mode(Mode mode) {
    for (LayerContext c : contexts) c.mode = mode;
    return this;
  }

  public Mode mode() {
    return contexts.length == 0 ? Mode.ANALYSIS : contexts[0].mode;
  }

  /**
   * The buffer vector the layers read (and in TRAIN mode update): by default a private copy of the network's
   * initial buffers. Pass the model's own vector to use and update it in place.
   */
  public Workspace buffers(double[] buffers) {
    for (LayerContext c : contexts) c.buffers = buffers;
    return this;
  }

  /** The generator random layers draw from in TRAIN mode. */
  public Workspace rng(java.util.SplittableRandom rng) {
    for (LayerContext c : contexts) c.rng = rng;
    return this;
  }

  /** Layer k's context (mode, state, buffers). */
  public LayerContext context(int k) {
    return contexts[k];
  }

  public int maxBatch() { return maxBatch; }

  /** The input buffer (row-major maxBatch × input): fill rows 0..batch before a forward pass. */
  public double[] input() { return acts[0]; }

  /** Activation k (0 = input, k+1 = output of layer k). */
  public double[] act(int k) { return acts[k]; }

  /** Gradient signal of the scaled loss with respect to activation k ≥ 1, after a backward pass. */
  public double[] grad(int k) { return grads[k]; }

  /** The network output after a forward pass. */
  public double[] output() { return acts[acts.length - 1]; }

  void checkBatch(int batch) {
    if (batch <= 0 || batch > maxBatch) {
      throw new IllegalArgumentException("batch: expected 1.." + maxBatch + " rows (the workspace's size), got " + batch);
    }
  }
}
