package org.hesse.train;

/**
 * Learning rate as a function of training progress. {@code epoch} counts completed epochs (0 during the first),
 * {@code step} the optimizer steps completed within the current epoch (0 for its first), and
 * {@code stepsPerEpoch} the number of steps an epoch has, so per-step schedules (warm-up) fit the same
 * interface. The factories here are epoch-wise, like a PyTorch {@code lr_scheduler} whose {@code step()} is
 * called once at the end of every epoch.
 */
@FunctionalInterface
public interface Schedule {
  double lr(int epoch, int step, int stepsPerEpoch);

  /** η for every step. */
  static Schedule constant(double lr) {
    checkLr(lr);
    return (epoch, step, steps) -> lr;
  }

  /** {@code η · γ^⌊epoch/every⌋}, as {@code StepLR(step_size=every, gamma=γ)}. */
  static Schedule step(double lr, double gamma, int every) {
    checkLr(lr);
    if (!(gamma > 0) || Double.isInfinite(gamma)) throw new IllegalArgumentException("gamma: expected a finite value > 0, got " + gamma);
    if (every < 1) throw new IllegalArgumentException("every: expected >= 1 epochs, got " + every);
    return (epoch, step, steps) -> lr * Math.pow(gamma, epoch / every);
  }

  /**
   * Cosine annealing from η to {@code min} over {@code epochs}, {@code min + (η − min)(1 + cos(π e/epochs))/2},
   * as the closed form of {@code CosineAnnealingLR(T_max=epochs, eta_min=min)}. The last epoch of a run of
   * {@code epochs} therefore trains at slightly above min, as in PyTorch; past {@code epochs} the rate stays at min
   * (PyTorch would climb again).
   */
  static Schedule cosine(double lr, double min, int epochs) {
    checkLr(lr);
    if (!(min >= 0 && min <= lr)) throw new IllegalArgumentException("min: expected a value in [0, " + lr + "], got " + min);
    if (epochs < 1) throw new IllegalArgumentException("epochs: expected >= 1, got " + epochs);
    return (epoch, step, steps) -> epoch >= epochs ? min
        : min + (lr - min) * (1 + Math.cos(Math.PI * epoch / epochs)) / 2;
  }

  private static void checkLr(double lr) {
    if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("lr: expected a finite value >= 0, got " + lr);
  }
}
