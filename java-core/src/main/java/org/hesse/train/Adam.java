package org.hesse.train;

import java.util.Arrays;

/**
 * Adam with bias correction and L2 weight decay, as {@code torch.optim.Adam} (not AdamW, not AMSGrad). Per
 * element at step t = 1, 2, ... with rate η, decay λ, betas β1, β2 and ε:
 * <pre>
 *   g = g + λ θ                                     (L2: decay enters the moments, unlike AdamW)
 *   m = m + (1 − β1)(g − m)                         (= β1 m + (1 − β1) g; PyTorch's lerp form)
 *   v = β2 v + (1 − β2) g²
 *   θ = θ − (η / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * which is PyTorch's implementation order and equals the textbook {@code θ −= η m̂ / (√v̂ + ε)} with
 * {@code m̂ = m/(1−β1^t)}, {@code v̂ = v/(1−β2^t)}. Defaults β1 = 0.9, β2 = 0.999, ε = 1e-8, λ = 0.
 * The step counter t is shared by all parameters (PyTorch keeps one per tensor; they advance together).
 */
public final class Adam implements Optimizer {
  public static final double DEFAULT_BETA1 = 0.9;
  public static final double DEFAULT_BETA2 = 0.999;
  public static final double DEFAULT_EPS = 1e-8;

  private final int size;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final double[] m;
  private final double[] v;
  private long t;

  /** PyTorch's defaults, no weight decay. */
  public Adam(int size) {
    this(size, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPS, 0.0);
  }

  public Adam(int size, double beta1, double beta2, double eps, double weightDecay) {
    if (size <= 0) throw new IllegalArgumentException("size: expected > 0 parameters, got " + size);
    if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1: expected a value in [0, 1), got " + beta1);
    if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2: expected a value in [0, 1), got " + beta2);
    if (!(eps >= 0) || Double.isInfinite(eps)) throw new IllegalArgumentException("eps: expected a finite value >= 0, got " + eps);
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay: expected a finite value >= 0, got " + weightDecay);
    }
    this.size = size;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.m = new double[size];
    this.v = new double[size];
  }

  @Override public int size() { return size; }
  /** Steps taken so far. */
  public long steps() { return t; }

  @Override
  public void step(double[] theta, double[] grad, double lr) {
    Optimizer.checkStep(size, theta, grad, lr);
    t++;
    double bc1 = 1.0 - Math.pow(beta1, t);
    double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, t));
    double stepSize = lr / bc1;
    double a1 = 1.0 - beta1;
    double a2 = 1.0 - beta2;
    double b2 = beta2;
    double wd = weightDecay;
    for (int i = 0; i < size; i++) {
      double g = grad[i] + wd * theta[i];
      double mi = m[i] + a1 * (g - m[i]);
      double vi = b2 * v[i] + a2 * g * g;
      m[i] = mi;
      v[i] = vi;
      theta[i] -= stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
    }
  }

  @Override
  public void reset() {
    Arrays.fill(m, 0.0);
    Arrays.fill(v, 0.0);
    t = 0;
  }

  @Override
  public String describe() {
    return "adam(betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weight_decay=" + weightDecay + ")";
  }
}
