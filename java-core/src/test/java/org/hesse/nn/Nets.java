package org.hesse.nn;

import java.util.SplittableRandom;
import org.hesse.simd.Activation;

/** Small random networks and data for tests (shared with other modules through the test jar). */
public final class Nets {
  private Nets() {}

  /** The gradient of the objective's mean loss by central differences, step h, one parameter at a time. */
  public static double[] centralDifferenceGradient(Objective obj, double[] theta, double h) {
    double[] fd = new double[theta.length];
    double[] t = theta.clone();
    for (int i = 0; i < theta.length; i++) {
      t[i] = theta[i] + h;
      double lp = obj.loss(t);
      t[i] = theta[i] - h;
      double lm = obj.loss(t);
      t[i] = theta[i];
      fd[i] = (lp - lm) / (2 * h);
    }
    return fd;
  }

  /** input → dense(h) → act → dense(h2) → act → dense(out), loss. */
  public static Network mlp(int input, int h, int h2, int out, Activation act, String loss) {
    return Network.builder(input).dense(h).activation(act).dense(h2).activation(act).dense(out).build(loss);
  }

  /** Gaussian features scaled by s. */
  public static double[] features(int n, int d, double s, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n * d];
    for (int i = 0; i < x.length; i++) x[i] = s * Init.gaussian(r);
    return x;
  }

  /** Targets fitting the network's loss: class indices or Gaussian values. */
  public static double[] targets(Network net, int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int c = net.outputSize();
    if (net.loss() instanceof CrossEntropy) {
      double[] y = new double[n];
      for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
      return y;
    }
    double[] y = new double[n * c];
    for (int i = 0; i < y.length; i++) y[i] = Init.gaussian(r);
    return y;
  }

  /** Random vector with entries N(0, s²). */
  public static double[] gaussian(int n, double s, long seed) {
    return features(n, 1, s, seed);
  }
}
