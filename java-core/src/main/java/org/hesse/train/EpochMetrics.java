package org.hesse.train;

/**
 * What one epoch produced. Epoch 0 (when the trainer evaluates the initial parameters) has taken no step:
 * its {@code lr}, {@code runningLoss} and {@code runningAccuracy} are NaN.
 *
 * @param epoch           1-based epoch number, 0 for the initial parameters
 * @param steps           optimizer steps taken since the start of training (cumulative)
 * @param lr              learning rate of the epoch's last step
 * @param trainLoss       L(θ) over the whole training set, evaluated after the epoch's last step
 * @param trainAccuracy   fraction of training samples whose output argmax is the target class, after the epoch;
 *                        NaN for losses without classes (mse)
 * @param valLoss         L(θ) over the validation set after the epoch; NaN without validation data
 * @param valAccuracy     as trainAccuracy on the validation set; NaN without validation data or classes
 * @param runningLoss     mean per-sample loss over the epoch's batches as each was seen, before its update
 *                        (what a PyTorch loop that averages batch losses prints)
 * @param runningAccuracy the same running mean for accuracy
 */
public record EpochMetrics(int epoch, long steps, double lr, double trainLoss, double trainAccuracy,
                           double valLoss, double valAccuracy, double runningLoss, double runningAccuracy) {}
