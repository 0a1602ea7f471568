package org.hesse.nn;

/**
 * The mean loss of a network over a whole data set, {@code L(θ) = (1/N) Σ_n ℓ_n}, evaluated in contiguous
 * batches of at most {@code batchSize} rows (the last one partial); each sample is weighted 1/N, so every
 * batch counts by its size over N. Holds one workspace: not thread-safe.
 */
public final class Objective {
  private final Network net;
  private final double[] x;
  private final double[] y;
  private final int samples;
  private final int batchSize;
  private Workspace ws;            // allocated on first evaluation: the curvature engine only uses the batching
  private double[] batchTargets;

  /**
   * @param x row-major N × input features
   * @param y row-major N × loss.targetWidth(output) targets
   */
  public Objective(Network net, double[] x, double[] y, int batchSize) {
    int d = net.inputSize();
    int tw = net.loss().targetWidth(net.outputSize());
    if (x.length % d != 0) {
      throw new IllegalArgumentException("features: length " + x.length + " is not a multiple of the input size " + d);
    }
    this.samples = x.length / d;
    if (samples == 0) throw new IllegalArgumentException("features: no samples");
    if (y.length != samples * tw) {
      throw new IllegalArgumentException("targets: expected " + samples + " × " + tw + " = " + samples * tw
          + " values, got " + y.length);
    }
    if (batchSize <= 0) throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
    net.loss().checkTargets(y, samples, net.outputSize());
    this.net = net;
    this.x = x;
    this.y = y;
    this.batchSize = Math.min(batchSize, samples);
  }

  public Network network() { return net; }
  public int samples() { return samples; }
  public int batchSize() { return batchSize; }
  public double[] features() { return x; }
  public double[] targets() { return y; }

  /** Number of batches the data set is split into. */
  public int batches() {
    return (samples + batchSize - 1) / batchSize;
  }

  /** First row of batch b. */
  public int batchStart(int b) {
    return b * batchSize;
  }

  /** Rows in batch b. */
  public int batchRows(int b) {
    return Math.min(batchSize, samples - b * batchSize);
  }

  /** Copies batch b's features into the workspace input and returns its targets' offset in y. */
  public int loadBatch(int b, Workspace w) {
    int start = batchStart(b);
    int rows = batchRows(b);
    int d = net.inputSize();
    System.arraycopy(x, start * d, w.input(), 0, rows * d);
    return start * net.loss().targetWidth(net.outputSize());
  }

  /** L(θ); adds ∇L(θ) to grad unless grad is null (zero it first for the gradient alone). */
  public double lossAndGradient(double[] theta, double[] grad) {
    checkTheta(theta);
    double total = 0;
    double scale = 1.0 / samples;
    int tw = net.loss().targetWidth(net.outputSize());
    if (ws == null) {
      ws = net.newWorkspace(batchSize);
      batchTargets = new double[batchSize * tw];
    }
    double[] yb = batchTargets;
    for (int b = 0; b < batches(); b++) {
      int yOff = loadBatch(b, ws);
      int rows = batchRows(b);
      System.arraycopy(y, yOff, yb, 0, rows * tw);
      total += net.lossAndGradient(theta, ws, yb, rows, scale, grad);
    }
    return total;
  }

  public double loss(double[] theta) {
    return lossAndGradient(theta, null);
  }

  void checkTheta(double[] theta) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
  }
}
