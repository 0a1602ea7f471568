package org.hesse.nn;

/**
 * How layers with train/eval behaviour (batch normalisation, dropout) run a forward pass.
 * <ul>
 *   <li>{@link #TRAIN}: batch statistics, running statistics updated, dropout active (needs a generator).</li>
 *   <li>{@link #ANALYSIS}: batch statistics, nothing updated, dropout off: a deterministic function of
 *       (θ, batch) whose derivatives are the training-mode loss's. The default, and what curvature uses
 *       unless told otherwise; it couples the samples of a batch through BN, so the batch partition matters.</li>
 *   <li>{@link #EVAL}: running statistics, dropout off (PyTorch's {@code model.eval()}).</li>
 * </ul>
 */
public enum Mode {
  TRAIN, ANALYSIS, EVAL
}
