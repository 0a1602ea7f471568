package org.hesse.nn;

import java.util.Arrays;
import org.hesse.precision.Float32Twin;

/**
 * The one traversal of a network's graph that every backward pass goes through: the VJP of training and of the
 * curvature engine's signals, and the backward tangents of Hessian-, GGN-, block and activation-space products.
 * It visits nodes from {@code top} down to {@code low} and hands each node, per input, the array its signal for
 * that input goes to: the activation's own array for the first node that reaches it (overwrite), a scratch array
 * for later ones (fan-out), which the executor then adds in; null where nothing below wants the signal. Forward
 * passes visit the nodes in their (topological) order and need no such bookkeeping.
 *
 * <p>The scratch arrays are owned here and sized for a number of rows (samples × directions); one executor per
 * workspace or operator, not thread-safe. Its float32 twin {@code Executor32} (generated, docs/precision.md) runs
 * the same sweep on float signals.
 */
@Float32Twin
public final class Executor {
  /** What one node does in a backward sweep: write its input signals into {@code gIns} (null = not wanted). */
  @FunctionalInterface
  public interface BackwardStep {
    void run(int node, double[][] gIns);
  }

  private final Network net;
  private final boolean[] written;
  private final double[][][] targets;  // per node: the arrays handed to it (reused)
  private double[][] scratch;           // per input slot
  private int rows;
  private final int maxWidth;

  public Executor(Network net, int rows) {
    this.net = net;
    int nodes = net.nodeCount();
    written = new boolean[nodes + 1];
    targets = new double[nodes][][];
    int slots = 1;
    int w = 1;
    for (Node n : net.nodes()) {
      targets[n.index] = new double[n.inputCount()][];
      slots = Math.max(slots, n.inputCount());
    }
    for (int a = 0; a <= nodes; a++) w = Math.max(w, net.activationWidth(a));
    maxWidth = w;
    scratch = new double[slots][];
    ensure(rows);
  }

  /** Grows the scratch arrays to hold {@code rows} rows of the widest activation. */
  public void ensure(int rows) {
    if (rows <= this.rows) return;
    boolean fanOut = false;
    int[] readers = new int[net.nodeCount() + 1];
    for (Node n : net.nodes()) for (int i = 0; i < n.inputCount(); i++) fanOut |= ++readers[n.input(i)] > 1;
    for (int s = 0; s < scratch.length; s++) scratch[s] = fanOut ? new double[Sizes.times(rows, maxWidth, "executor scratch")] : null;
    this.rows = rows;
  }

  /**
   * A backward sweep: {@code signals[top]} holds the signal at activation {@code top}; nodes {@code last} down to
   * {@code low} are visited (a node whose output got no signal sees zeros there). The signal at activation a is
   * formed when a node at or above {@code low} produces a, or a = {@code read} (e.g. 0 for the input's signal; −1
   * for none). Each array holds {@code rows} rows of its activation's width.
   */
  public void backward(double[][] signals, int top, int last, int low, int read, int rows, BackwardStep step) {
    ensure(rows);
    Arrays.fill(written, false);
    written[top] = true;
    for (int j = last; j >= low; j--) {
      Node n = net.node(j);
      int out = n.output();
      if (!written[out]) {  // a node no visited node reads (a dead branch): zero signal
        double[] dead = signals[out];
        Arrays.fill(dead, 0, rows * net.activationWidth(out), 0.0);
        written[out] = true;
      }
      double[][] t = targets[j];
      for (int i = 0; i < t.length; i++) {
        int a = n.input(i);
        boolean wanted = (a > 0 && a - 1 >= low) || a == read;
        if (!wanted) t[i] = null;
        else if (!written[a]) {
          t[i] = signals[a];
          written[a] = true;
        } else {
          t[i] = scratch[i];
        }
      }
      step.run(j, t);
      for (int i = 0; i < t.length; i++) {
        if (t[i] != null && t[i] == scratch[i]) {
          double[] s = signals[n.input(i)];
          double[] add = scratch[i];
          for (int e = 0, m = rows * net.activationWidth(n.input(i)); e < m; e++) s[e] += add[e];
        }
      }
    }
  }

  /** Whether no input signal is wanted from a node. */
  public static boolean allNull(double[][] gIns) {
    for (double[] g : gIns) if (g != null) return false;
    return true;
  }
}
