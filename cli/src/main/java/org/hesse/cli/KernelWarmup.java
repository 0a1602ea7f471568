package org.hesse.cli;

import java.util.EnumSet;
import java.util.Set;
import org.hesse.nn.ActivationLayer;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.simd.Activation;
import org.hesse.simd.KernelProvider;
import org.hesse.simd.Kernels;

/**
 * Compiles a network's activation kernels on a background thread while the data are read. Until C2 has compiled
 * them, the Panama kernels run the Vector API's Java fallback (an object and a lambda per vector operation), and the
 * first forward over all rows spent most of its time there (docs/performance.md, "Start-up of `hesse spectrum`").
 * Many short calls on a small array make C2 compile the kernels whole, so the real forward finds them compiled.
 * The kernels give the same bits compiled or not (their class comment: no Vector API transcendental, lane sums in
 * lane order), so only the time changes; the warm-up writes nothing but its own arrays.
 */
final class KernelWarmup {
  /** Elements per call: below KernelThreads' split, so the warm-up stays on its own thread. */
  static final int ELEMENTS = 1024;
  /** Calls per kernel: past C2's thresholds (600 calls with 15,000 loop iterations) with room. */
  static final int CALLS = 1500;

  private KernelWarmup() {}

  /** The activations of the network's nodes. */
  static Set<Activation> activations(Network net) {
    Set<Activation> out = EnumSet.noneOf(Activation.class);
    for (Node node : net.nodes()) {
      if (node.op instanceof ActivationLayer a) out.add(a.function());
    }
    return out;
  }

  /**
   * Starts the warm-up of {@code net}'s activation kernels (float ones when {@code float32}) on a daemon thread and
   * returns it; does nothing (null) with the scalar kernels, which C2 compiles soon enough, or -Dhesse.warmup=false.
   */
  static Thread start(Network net, boolean float32) {
    Kernels k = KernelProvider.get();
    if (KernelProvider.panamaOrNull() != k || "false".equals(System.getProperty("hesse.warmup"))) return null;
    Set<Activation> fs = activations(net);
    if (fs.isEmpty()) return null;
    Thread t = new Thread(() -> run(k, fs, float32), "hesse-kernel-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The forward, derivative and backward kernels of each activation, {@link #CALLS} times on inputs across 0. */
  static void run(Kernels k, Set<Activation> fs, boolean float32) {
    try {
      if (float32) {
        float[] x = new float[ELEMENTS], g = new float[ELEMENTS], a = new float[ELEMENTS], b = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
          x[i] = (float) input(i);
          g[i] = 1f;
        }
        for (int c = 0; c < CALLS; c++) {
          for (Activation f : fs) {
            k.activation(f, x, 0, a, 0, ELEMENTS);
            k.activationDerivatives(f, x, 0, a, 0, b, 0, ELEMENTS);
            k.activationBackward(f, x, 0, g, 0, a, 0, ELEMENTS);
          }
        }
      } else {
        double[] x = new double[ELEMENTS], g = new double[ELEMENTS], a = new double[ELEMENTS], b = new double[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
          x[i] = input(i);
          g[i] = 1;
        }
        for (int c = 0; c < CALLS; c++) {
          for (Activation f : fs) {
            k.activation(f, x, 0, a, 0, ELEMENTS);
            k.activationDerivatives(f, x, 0, a, 0, b, 0, ELEMENTS);
            k.activationBackward(f, x, 0, g, 0, a, 0, ELEMENTS);
          }
        }
      }
    } catch (RuntimeException | LinkageError e) {
      // only a speed-up: the run itself calls the same kernels and reports any failure
    }
  }

  /** Inputs in [-4, 4), both signs, so every branch of the kernels runs. */
  private static double input(int i) {
    return (i % 64) / 8.0 - 4.0;
  }
}
