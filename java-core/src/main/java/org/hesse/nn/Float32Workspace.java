package org.hesse.nn;

import org.hesse.io.InputException;
import org.hesse.precision.Precision;

/**
 * The float32 counterpart of {@link Workspace} with the forward and backward passes of a network in float
 * (docs/precision.md): parameters, activations and signals are float arrays, each layer runs its generated float32
 * twin (SGEMM for dense layers). The loss, its gradient at the output and the sum over samples are float64: the
 * output is widened (a few values per sample) and the float64 {@link Loss} does the rest.
 *
 * <p>Scope: a chain of layers (each node reads the previous node's output) without shared tensors or buffers whose
 * every layer type has float32 twins; {@link #requireFloat32} refuses anything else with one line. Sized once for a
 * maximum batch; not thread-safe.
 */
public final class Float32Workspace {
  private final Network net;
  private final int maxBatch;
  private final float[][] acts;
  private final float[][] grads;
  private final LayerContext[] contexts;
  private final double[] out;
  private final double[] gOut;

  public Float32Workspace(Network net, int maxBatch) {
    requireFloat32(net);
    if (maxBatch <= 0) throw new IllegalArgumentException("workspace: batch size must be > 0, got " + maxBatch);
    this.net = net;
    this.maxBatch = maxBatch;
    int A = net.nodeCount() + 1;
    long total = 0;
    for (int a = 0; a < A; a++) {
      Sizes.times(maxBatch, net.activationWidth(a), "workspace: activation " + a);
      total += (a > 0 ? 2L : 1L) * maxBatch * net.activationWidth(a);
    }
    org.hesse.runtime.MemoryBudget.current().check(4L * total,
        "the float32 activations of a batch of " + maxBatch + " (" + total + " values)");
    acts = new float[A][];
    grads = new float[A][];
    for (int a = 0; a < A; a++) {
      acts[a] = new float[maxBatch * net.activationWidth(a)];
      if (a > 0) grads[a] = new float[maxBatch * net.activationWidth(a)];
    }
    contexts = new LayerContext[net.nodeCount()];
    for (Node n : net.nodes()) contexts[n.index] = LayerContext.standalone(n.op, maxBatch, Mode.ANALYSIS, null, n.bufferOffset);
    out = new double[maxBatch * net.outputSize()];
    gOut = new double[maxBatch * net.outputSize()];
  }

  /**
   * Refuses (one-line {@link InputException}) a network the float32 path does not run: a layer type without float32
   * twins (naming it), a node that is not in a chain, shared tensors or buffers.
   */
  public static void requireFloat32(Network net) {
    for (Node n : net.nodes()) {
      if (!n.op.float32()) throw Precision.noFloat32(n.op.type());
      if (n.inputCount() != 1 || n.input(0) != n.index) {
        throw new InputException("precision f32: node '" + n.name + "' (" + n.op.type() + ") is not in a chain of "
            + "layers; the float32 path runs chains only, use --precision f64");
      }
    }
    if (net.shared() || net.bufferCount() > 0) {
      throw new InputException("precision f32: shared tensors and buffers have no float32 path; use --precision f64");
    }
  }

  public Network network() { return net; }

  public int maxBatch() { return maxBatch; }

  /** The input buffer (row-major maxBatch × input): fill rows 0..batch before a forward pass. */
  public float[] input() { return acts[0]; }

  /** Graph activation a (0 = input, j + 1 = output of node j). */
  public float[] activation(int a) { return acts[a]; }

  /** The gradient signal at graph activation a ≥ 1 after {@link #lossAndGradient}. */
  public float[] signal(int a) { return grads[a]; }

  /** Node j's context. */
  public LayerContext context(int j) { return contexts[j]; }

  /** The network output of the last forward pass, widened to double (rows 0..batch). */
  public double[] output() { return out; }

  /** Rounds θ (double) into a float parameter vector of the same length. */
  public static float[] round(double[] theta, float[] into) {
    float[] f = into != null ? into : new float[theta.length];
    for (int i = 0; i < theta.length; i++) f[i] = (float) theta[i];
    return f;
  }

  /** Runs every node on {@link #input()} (rows 0..batch) and widens the output into {@link #output()}. */
  public void forward(float[] theta, int batch) {
    checkBatch(batch);
    for (Node n : net.nodes()) n.op.forward(theta, n.paramOffset, acts[n.index], acts[n.output()], batch, contexts[n.index]);
    float[] z = acts[net.outputActivation()];
    for (int i = 0, m = batch * net.outputSize(); i < m; i++) out[i] = z[i];
  }

  /**
   * Forward, loss and backward for one batch whose inputs are in {@link #input()}: returns {@code scale · Σ_n ℓ_n}
   * (float64) and, when grad is not null, adds {@code scale · Σ_n ∇_θ ℓ_n} to it (float; the batch's sum over samples
   * is inside the SGEMMs). The signals at every activation are formed either way ({@link #signal}).
   */
  public double lossAndGradient(float[] theta, double[] y, int batch, double scale, float[] grad) {
    forward(theta, batch);
    int c = net.outputSize();
    double value = scale * net.loss().sum(out, y, batch, c);
    net.loss().gradient(out, y, batch, c, scale, gOut);
    float[] g = grads[net.outputActivation()];
    for (int i = 0, m = batch * c; i < m; i++) g[i] = (float) gOut[i];
    for (int j = net.nodeCount() - 1; j >= 0; j--) {
      Node n = net.node(j);
      n.op.backward(theta, n.paramOffset, acts[j], acts[j + 1], grads[j + 1], j > 0 ? grads[j] : null, grad, batch,
          contexts[j]);
    }
    return value;
  }

  private void checkBatch(int batch) {
    if (batch <= 0 || batch > maxBatch) {
      throw new IllegalArgumentException("batch: expected 1.." + maxBatch + " rows (the workspace's size), got " + batch);
    }
  }
}
