package org.hesse.train;

/**
 * A first-order update rule over a network's flat parameter vector. State (momentum buffers, moment
 * estimates) is sized once at construction for {@link #size()} parameters and carried between steps; the
 * learning rate comes with every step so that a {@link Schedule} can change it without touching the state.
 *
 * <p>Every implementation documents the update it performs and how it equals the PyTorch optimizer of the same
 * name (mathematically, in double precision; PyTorch's own kernels may fuse multiply-adds differently, so the
 * last bits are not promised).
 *
 * <p>Per-block rules plug in as further implementations: the network's block boundaries are
 * {@code Network.offset(k)}, and an optimizer built with them may treat every block differently. The
 * scale-amended SGD ({@link ScaleAmendedSgd}) rescales the gradient of each amended row before it enters one
 * {@link Sgd}'s update (so momentum carries the scaled gradient and weight decay stays unscaled).
 */
public interface Optimizer {
  /** Number of parameters the state was sized for. */
  int size();

  /**
   * One update of {@code theta} in place from the gradient {@code grad} of the (mean) loss at theta, with
   * learning rate {@code lr}. {@code grad} is read, never written.
   *
   * @throws IllegalArgumentException if an array's length differs from {@link #size()} or lr is negative or not finite
   */
  void step(double[] theta, double[] grad, double lr);

  /**
   * Called by the {@link Trainer} after each batch's forward and backward pass and before {@link #step}, with the
   * training workspace (its activations are the batch's, rows {@code 0..rows}). Rules that need per-batch
   * statistics (scale-amended SGD reads the variance of each BN input) override it; the default does nothing.
   */
  default void observeBatch(org.hesse.nn.Workspace ws, int rows) {}

  /** Forgets all state, as a freshly constructed optimizer. */
  void reset();

  /** Short description with hyper-parameters, for logs. */
  String describe();

  /** Shared argument checks. */
  static void checkStep(int size, double[] theta, double[] grad, double lr) {
    if (theta.length != size) {
      throw new IllegalArgumentException("theta: expected " + size + " parameters, got " + theta.length);
    }
    if (grad.length != size) {
      throw new IllegalArgumentException("grad: expected " + size + " values, got " + grad.length);
    }
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("lr: expected a finite value >= 0, got " + lr);
    }
  }
}
