package org.hesse.nn;

/**
 * Per-batch buffers of a network, sized once for a maximum batch and reused: the activations
 * ({@code act(0)} is the input, {@code act(k+1)} the output of layer k) and the gradient signal with respect
 * to each activation. Not thread-safe: one per thread.
 */
public final class Workspace {
  final int maxBatch;
  final double[][] acts;
  final double[][] grads;

  Workspace(Network net, int maxBatch) {
    if (maxBatch <= 0) throw new IllegalArgumentException("workspace: batch size must be > 0, got " + maxBatch);
    this.maxBatch = maxBatch;
    int K = net.depth();
    acts = new double[K + 1][];
    grads = new double[K + 1][];
    for (int k = 0; k <= K; k++) {
      acts[k] = new double[maxBatch * net.width(k)];
      grads[k] = new double[maxBatch * net.width(k)];
    }
  }

  public int maxBatch() { return maxBatch; }

  /** The input buffer (row-major maxBatch × input): fill rows 0..batch before a forward pass. */
  public double[] input() { return acts[0]; }

  /** Activation k (0 = input, k+1 = output of layer k). */
  public double[] act(int k) { return acts[k]; }

  /** Gradient signal of the scaled loss with respect to activation k, after a backward pass. */
  public double[] grad(int k) { return grads[k]; }

  /** The network output after a forward pass. */
  public double[] output() { return acts[acts.length - 1]; }

  void checkBatch(int batch) {
    if (batch <= 0 || batch > maxBatch) {
      throw new IllegalArgumentException("batch of " + batch + " rows does not fit a workspace of " + maxBatch);
    }
  }
}
