package org.hesse.nn;

/**
 * What a per-channel batch normaliser ({@link BatchNorm}) exposes through {@link Layer#channelNormaliser()}: its
 * channel count, ε, its scale γ as the first {@link #channels()} values of its parameters, and the batch statistics
 * it normalises with.
 */
public interface ChannelNormaliser {
  int channels();

  double eps();

  /**
   * Per channel, the batch mean and biased variance over the {@code batch} samples (and spatial positions) of
   * {@code x}, exactly as the forward pass in training mode normalises with.
   */
  void batchStatistics(double[] x, int batch, double[] mean, double[] var);
}
