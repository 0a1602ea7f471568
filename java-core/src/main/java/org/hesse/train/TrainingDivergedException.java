package org.hesse.train;

import java.util.List;

/**
 * Training produced a loss that is NaN or infinite. Carries where (1-based epoch and step within the epoch)
 * and the metrics of every epoch completed before it.
 */
public final class TrainingDivergedException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final int epoch;
  private final int step;
  private final double value;
  private final transient List<EpochMetrics> history;

  TrainingDivergedException(String message, int epoch, int step, double value, List<EpochMetrics> history) {
    super(message);
    this.epoch = epoch;
    this.step = step;
    this.value = value;
    this.history = List.copyOf(history);
  }

  /** 1-based epoch in which the loss stopped being finite. */
  public int epoch() { return epoch; }

  /** 1-based step within that epoch. */
  public int step() { return step; }

  /** The offending loss value (NaN or ±∞). */
  public double value() { return value; }

  /** Metrics recorded before the divergence, in order (epoch 0 first when it was evaluated). */
  public List<EpochMetrics> history() { return history; }
}
