package org.hesse.train;

import java.util.Arrays;

/**
 * Stochastic gradient descent with momentum, weight decay and Nesterov's variant, as {@code torch.optim.SGD}
 * with {@code dampening = 0}. Per element, with learning rate η, momentum μ and weight decay λ:
 * <pre>
 *   d = g + λ θ                     (L2 decay added to the gradient, before momentum)
 *   v = μ v + d                     (v = 0 initially; PyTorch sets v = d on the first step, the same value)
 *   d = d + μ v   if nesterov, else d = v   (d = g + λθ unchanged when μ = 0)
 *   θ = θ − η d
 * </pre>
 * The buffer v does not contain η (PyTorch's convention, unlike the "v = μv − ηg" form of Sutskever et al.):
 * the two agree for a constant η and differ when a schedule changes it.
 */
public final class Sgd implements Optimizer {
  private final int size;
  private final double momentum;
  private final double weightDecay;
  private final boolean nesterov;
  private final double[] velocity;

  /** Plain SGD: no momentum, no weight decay. */
  public Sgd(int size) {
    this(size, 0.0, 0.0, false);
  }

  public Sgd(int size, double momentum, double weightDecay, boolean nesterov) {
    if (size <= 0) throw new IllegalArgumentException("size: expected > 0 parameters, got " + size);
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum: expected a value in [0, 1), got " + momentum);
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new IllegalArgumentException("weightDecay: expected a finite value >= 0, got " + weightDecay);
    }
    if (nesterov && momentum == 0) {
      throw new IllegalArgumentException("nesterov: requires momentum > 0, got momentum " + momentum);
    }
    this.size = size;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.velocity = momentum > 0 ? new double[size] : null;
  }

  @Override public int size() { return size; }
  public double momentum() { return momentum; }
  public double weightDecay() { return weightDecay; }
  public boolean nesterov() { return nesterov; }

  @Override
  public void step(double[] theta, double[] grad, double lr) {
    Optimizer.checkStep(size, theta, grad, lr);
    update(theta, grad, lr, 0, size);
  }

  /**
   * Updates only the elements {@code [from, to)} with rate {@code lr}; the rest of theta and of the state is
   * left alone. Calling it once per block with different rates is how a per-block rescaled SGD is built.
   */
  public void step(double[] theta, double[] grad, double lr, int from, int to) {
    Optimizer.checkStep(size, theta, grad, lr);
    if (from < 0 || to > size || from > to) {
      throw new IllegalArgumentException("range: expected 0 <= from <= to <= " + size + ", got [" + from + ", " + to + ")");
    }
    update(theta, grad, lr, from, to);
  }

  private void update(double[] theta, double[] grad, double lr, int from, int to) {
    double mu = momentum;
    double wd = weightDecay;
    if (velocity == null) {
      for (int i = from; i < to; i++) theta[i] -= lr * (grad[i] + wd * theta[i]);
      return;
    }
    double[] v = velocity;
    if (nesterov) {
      for (int i = from; i < to; i++) {
        double d = grad[i] + wd * theta[i];
        double vi = mu * v[i] + d;
        v[i] = vi;
        theta[i] -= lr * (d + mu * vi);
      }
    } else {
      for (int i = from; i < to; i++) {
        double vi = mu * v[i] + (grad[i] + wd * theta[i]);
        v[i] = vi;
        theta[i] -= lr * vi;
      }
    }
  }

  @Override
  public void reset() {
    if (velocity != null) Arrays.fill(velocity, 0.0);
  }

  @Override
  public String describe() {
    return "sgd(momentum=" + momentum + ", weight_decay=" + weightDecay + (nesterov ? ", nesterov" : "") + ")";
  }
}
