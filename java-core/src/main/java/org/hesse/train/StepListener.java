package org.hesse.train;

/**
 * Called by the {@link Trainer} after every {@code every}-th optimizer step ({@link Trainer.Builder#stepListener}),
 * with the parameters after the step and the mini-batch the step was taken on. All arrays are copies the trainer
 * reuses for every call (clone to keep them): writing to them cannot affect training. Like {@link EpochListener},
 * a step listener never sees the shuffling or dropout generators, so training takes the same steps, bit for bit,
 * with or without one. An exception thrown here ends training and propagates.
 */
@FunctionalInterface
public interface StepListener {
  /**
   * @param step  the number of optimizer steps taken so far (1 after the first)
   * @param epoch the epoch the step belongs to (1-based)
   * @param theta the parameters after the step
   * @param x     the batch's features, row-major; the first {@code rows} rows are valid
   * @param y     the batch's targets, row-major; the first {@code rows} rows are valid
   * @param rows  rows in the batch (the last batch of an epoch may be partial)
   */
  void onStep(long step, int epoch, double[] theta, double[] x, double[] y, int rows);
}
