package org.hesse.train;

import org.hesse.nn.CrossEntropy;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;

/**
 * Loss and accuracy of a network over a data set in {@link Mode#EVAL} (as PyTorch's {@code model.eval()}; the
 * same as the analysis forward pass for networks without batch norm or dropout), in contiguous batches of at
 * most {@code maxBatch} rows, each sample weighted 1/N (the same reduction as {@code org.hesse.nn.Objective}). Holds its own workspace, sized
 * once: not thread-safe, one per thread (listeners that run forward passes should own one).
 */
public final class Evaluator {
  /** Loss (mean over samples) and accuracy (NaN for losses without classes). */
  public record Result(double loss, double accuracy) {}

  private final Network net;
  private final Workspace ws;
  private final double[] yBatch;
  private final boolean classes;
  private final double[] initialBuffers;

  public Evaluator(Network net, int maxBatch) {
    if (maxBatch <= 0) throw new IllegalArgumentException("maxBatch: expected > 0, got " + maxBatch);
    this.net = net;
    this.ws = net.newWorkspace(maxBatch).mode(Mode.EVAL);
    this.yBatch = new double[maxBatch * net.loss().targetWidth(net.outputSize())];
    this.classes = net.loss() instanceof CrossEntropy;
    this.initialBuffers = net.bufferCount() == 0 ? null : net.initialBuffers();
  }

  /**
   * Evaluates in {@link Mode#EVAL} (PyTorch's {@code model.eval()}: BN running statistics, no dropout) with the
   * network's initial buffers.
   *
   * @param x row-major N × input features
   * @param y row-major N × targetWidth targets
   */
  public Result evaluate(double[] theta, double[] x, double[] y) {
    return evaluate(theta, initialBuffers, x, y);
  }

  /** As {@link #evaluate(double[], double[], double[])} with the given buffers (read, never written). */
  public Result evaluate(double[] theta, double[] buffers, double[] x, double[] y) {
    Trainer.checkBuffers(net, buffers);
    ws.buffers(buffers);
    int n = Trainer.checkData(net, theta, x, y, "features", "targets");
    int d = net.inputSize();
    int c = net.outputSize();
    int tw = net.loss().targetWidth(c);
    int max = ws.maxBatch();
    double scale = 1.0 / n;
    double loss = 0;
    long correct = 0;
    for (int start = 0; start < n; start += max) {
      int rows = Math.min(max, n - start);
      System.arraycopy(x, start * d, ws.input(), 0, rows * d);
      System.arraycopy(y, start * tw, yBatch, 0, rows * tw);
      loss += net.lossAndGradient(theta, ws, yBatch, rows, scale, null);
      if (classes) correct += correct(ws.output(), yBatch, rows, c);
    }
    return new Result(loss, classes ? (double) correct / n : Double.NaN);
  }

  /**
   * Index of the largest of {@code z[off..off+c)}: the first one on ties, and the first NaN if there is one
   * (torch.argmax treats NaN as the maximum).
   */
  public static int argmax(double[] z, int off, int c) {
    int best = 0;
    double bv = z[off];
    if (Double.isNaN(bv)) return 0;
    for (int j = 1; j < c; j++) {
      double v = z[off + j];
      if (Double.isNaN(v)) return j;
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    return best;
  }

  /** Number of rows of the row-major {@code rows × c} outputs whose argmax equals the class index in labels. */
  public static int correct(double[] outputs, double[] labels, int rows, int c) {
    int k = 0;
    for (int n = 0; n < rows; n++) if (argmax(outputs, n * c, c) == (int) labels[n]) k++;
    return k;
  }
}
