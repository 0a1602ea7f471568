package org.hesse.train;

/**
 * Called by the {@link Trainer} after every epoch (and for epoch 0 when the initial parameters are evaluated).
 * {@code theta} is a copy of the parameters the trainer reuses for every call: writing to it cannot affect
 * training, and its contents are overwritten at the next call, so clone it to keep it. The listener never sees
 * the shuffling generator: anything it draws at random comes from its own generator, so analysis never changes
 * the order in which training visits the data. An exception thrown here ends training and propagates.
 */
@FunctionalInterface
public interface EpochListener {
  void onEpoch(EpochMetrics metrics, double[] theta);
}
