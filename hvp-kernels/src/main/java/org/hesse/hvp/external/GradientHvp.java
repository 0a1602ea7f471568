package org.hesse.hvp.external;

import java.util.Arrays;
import org.hesse.eigen.LinearOperator;

/**
 * A Hessian block from nothing but a gradient: for a framework that exposes {@code θ ↦ ∇L(θ)} (its own autodiff,
 * in float64 or float32) but no Hessian-vector product, this operator is the block {@code H_SS} of the Hessian on a
 * subset S of the parameter indices, by central differences of the gradient, and so gets block spectra, traces and
 * densities from {@code org.hesse.eigen} (ARPACK, Lanczos, Hutch++). For an exact product implement
 * {@link LinearOperator} directly.
 *
 * <h2>The product</h2>
 * For v on S (zero elsewhere) {@code D(v) = (g_S(θ + h v) − g_S(θ − h v)) / 2h}: two gradient calls per product,
 * with the step
 * <pre>    h = ∛u · (1 + ‖θ_S‖) / ‖v‖</pre>
 * where u is the unit roundoff of the callback's precision ({@link #UNIT_ROUNDOFF_64} = 2⁻⁵³,
 * {@link #UNIT_ROUNDOFF_32} = 2⁻²⁴), so that the perturbation {@code h‖v‖} is ∛u of θ's scale (2-norms throughout).
 *
 * <h2>Error bound</h2>
 * To first order in u, with ε_g the callback's error ‖g̃_S − g_S‖ at the two points, τ the largest ‖d³/dt³
 * g_S(θ + t v̂)‖ over |t| ≤ h‖v‖ for the unit direction v̂ = v/‖v‖ (a fourth derivative of the loss), and ‖H_SS‖
 * the block's spectral norm ({@link #errorBound} evaluates it):
 * <pre>
 *   ‖D(v) − H_SS v‖ ≤ h²‖v‖³τ/6                         truncation (Taylor, the even terms cancel)
 *                   + ε_g / h                            the callback's error, divided by 2h, twice
 *                   + u_a ‖H_SS‖ (‖θ_S‖ + 2h‖v‖) / h      θ ± h v rounded to the callback's precision
 *                   + 3 u₆₄ ‖H_SS‖ ‖v‖                   the subtraction and division in double
 * </pre>
 * with {@code u_a = u + 2u₆₄} (the rounding of h·v and of the sum in double, then to float for a float32
 * callback). With the step above, every term is O(u^{2/3}) relative to ‖v‖:
 * <pre>    ‖D(v) − H_SS v‖ / ‖v‖ ≲ u^{2/3} · ((1+‖θ_S‖)² τ/6 + γ/(1+‖θ_S‖) + ‖H_SS‖)</pre>
 * for a callback accurate to ε_g = γu: about 2.3·10⁻¹¹ times that bracket for float64 callbacks and 1.5·10⁻⁵ for
 * float32 ones (whose rounding of the returned gradient alone makes ε_g ≥ u₃₂‖g_S‖). The step balances truncation
 * (∝ h²) against rounding (∝ 1/h) when the bracket's terms are of similar size; a loss with a much larger fourth
 * derivative than its Hessian wants a smaller step (construct with {@link #withStepScale}).
 *
 * <p>D is symmetric only up to that error: ARPACK's symmetric driver and Lanczos see a perturbation of that size
 * (their eigenvalues move by at most the error's norm, by Weyl's inequality, for its symmetric part). Ask ARPACK
 * for a tolerance above the relative bound (e.g. 1e-6 for float32 callbacks).
 *
 * <p>Thread-safety: the operator owns its point and gradient buffers: one operator per thread. The callback gets
 * those buffers and must not keep them.
 */
public final class GradientHvp implements LinearOperator {
  /** Unit roundoff of float64, 2⁻⁵³. */
  public static final double UNIT_ROUNDOFF_64 = 0x1p-53;
  /** Unit roundoff of float32, 2⁻²⁴. */
  public static final double UNIT_ROUNDOFF_32 = 0x1p-24;

  /** A float64 gradient: writes ∇L(theta) (all parameters) into grad; theta must not be modified or kept. */
  @FunctionalInterface
  public interface Gradient {
    /**
     * The gradient of the loss.
     *
     * @param theta the parameters (length n)
     * @param grad  receives the gradient (length n)
     */
    void gradient(double[] theta, double[] grad);
  }

  /** A float32 gradient, as a framework training in single precision computes it. */
  @FunctionalInterface
  public interface FloatGradient {
    /**
     * The gradient of the loss.
     *
     * @param theta the parameters (length n)
     * @param grad  receives the gradient (length n)
     */
    void gradient(float[] theta, float[] grad);
  }

  /** Evaluates the callback at a double point (rounded to its precision). */
  private interface Evaluation {
    void at(double[] point, double[] grad);
  }

  private final Evaluation gradient;
  private final double[] theta;
  private final int[] block;
  private final double u;
  private final double stepScale;
  private final double thetaNorm;
  private final double[] point;
  private final double[] plus;
  private final double[] minus;

  private GradientHvp(Evaluation gradient, double[] theta, int[] block, double u, double stepScale) {
    this.gradient = gradient;
    this.theta = theta;
    this.block = checkBlock(block, theta.length);
    this.u = u;
    this.stepScale = stepScale;
    double s = 0;
    for (int i : this.block) s += theta[i] * theta[i];
    this.thetaNorm = Math.sqrt(s);
    this.point = theta.clone();
    this.plus = new double[theta.length];
    this.minus = new double[theta.length];
  }

  /**
   * The block on the given indices of a float64 gradient's Hessian.
   *
   * @param gradient the callback
   * @param theta    the parameters at which the Hessian is taken (copied)
   * @param block    the parameter indices of the block, distinct, each in [0, theta.length); the operator's
   *                 coordinates are in this order ({@link #range} for a layer's contiguous parameters)
   * @return the operator of dimension block.length
   * @throws IllegalArgumentException when the callback is null, theta is empty or not finite, or the block is
   *                                  empty, repeats an index or leaves the range
   */
  public static GradientHvp of(Gradient gradient, double[] theta, int[] block) {
    if (gradient == null) throw new IllegalArgumentException("gradient callback must not be null");
    checkTheta(theta);
    return new GradientHvp(gradient::gradient, theta.clone(), block, UNIT_ROUNDOFF_64, 1);
  }

  /**
   * The block on the given indices of a float32 gradient's Hessian; the points θ ± h v are rounded to float.
   *
   * @param gradient the callback
   * @param theta    the parameters at which the Hessian is taken (copied)
   * @param block    the parameter indices of the block (as in {@link #of(Gradient, double[], int[])})
   * @return the operator of dimension block.length
   * @throws IllegalArgumentException as {@link #of(Gradient, double[], int[])}
   */
  public static GradientHvp ofFloat(FloatGradient gradient, float[] theta, int[] block) {
    if (gradient == null) throw new IllegalArgumentException("gradient callback must not be null");
    if (theta == null) throw new IllegalArgumentException("theta must not be null");
    double[] t = new double[theta.length];
    for (int i = 0; i < t.length; i++) t[i] = theta[i];
    checkTheta(t);
    float[] p = new float[t.length];
    float[] g = new float[t.length];
    Evaluation e = (point, grad) -> {
      for (int i = 0; i < p.length; i++) p[i] = (float) point[i];
      gradient.gradient(p, g);
      for (int i = 0; i < g.length; i++) grad[i] = g[i];
    };
    return new GradientHvp(e, t, block, UNIT_ROUNDOFF_32, 1);
  }

  /**
   * The same operator with the step multiplied by {@code scale} (the bound of {@link #errorBound} follows it).
   *
   * @param scale factor on the default step, finite and &gt; 0
   * @return a new operator with its own buffers; it shares the callback (and a float32 callback's conversion
   *         buffers), so use it in the same thread as this one
   */
  public GradientHvp withStepScale(double scale) {
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("step scale must be finite and > 0, got " + scale);
    }
    return new GradientHvp(gradient, theta, block, u, stepScale * scale);
  }

  /**
   * The indices offset, offset+1, ..., offset+count−1: a layer's parameters in state-dict order.
   *
   * @param offset the first index
   * @param count  how many
   * @return the indices
   */
  public static int[] range(int offset, int count) {
    int[] r = new int[count];
    for (int i = 0; i < count; i++) r[i] = offset + i;
    return r;
  }

  @Override
  public int dim() {
    return block.length;
  }

  /** The Hessian is symmetric; the difference quotient is up to its error (see the class comment). */
  @Override
  public boolean symmetric() {
    return true;
  }

  /**
   * The unit roundoff u of the callback's precision.
   *
   * @return {@link #UNIT_ROUNDOFF_64} or {@link #UNIT_ROUNDOFF_32}
   */
  public double unitRoundoff() {
    return u;
  }

  /**
   * The step h for a direction of norm vNorm: {@code ∛u · (1 + ‖θ_S‖) / ‖v‖} (times the step scale).
   *
   * @param vNorm ‖v‖ &gt; 0
   * @return h
   */
  public double step(double vNorm) {
    return stepScale * Math.cbrt(u) * (1 + thetaNorm) / vNorm;
  }

  @Override
  public void apply(double[] x, double[] y) {
    int n = block.length;
    if (x == null || y == null || x.length < n || y.length < n) {
      throw new IllegalArgumentException("x and y must have length >= " + n);
    }
    double norm = norm(x, n);
    if (norm == 0) {
      Arrays.fill(y, 0, n, 0.0);
      return;
    }
    double h = step(norm);
    for (int k = 0; k < n; k++) point[block[k]] = theta[block[k]] + h * x[k];
    gradient.at(point, plus);
    for (int k = 0; k < n; k++) point[block[k]] = theta[block[k]] - h * x[k];
    gradient.at(point, minus);
    for (int k = 0; k < n; k++) {
      point[block[k]] = theta[block[k]];
      y[k] = (plus[block[k]] - minus[block[k]]) / (2 * h);
    }
  }

  /**
   * The bound of the class comment on ‖D(v) − H_SS v‖ for this operator's step and parameters.
   *
   * @param v             the direction (length {@link #dim()})
   * @param tau           τ: a bound on ‖d³/dt³ g_S(θ + t v̂)‖ for |t| ≤ h‖v‖, v̂ = v/‖v‖
   * @param gradientError ε_g: a bound on the callback's error ‖g̃_S − g_S‖ at θ ± h v
   * @param blockNorm     a bound on ‖H_SS‖ (spectral norm)
   * @return the bound (0 for v = 0)
   */
  public double errorBound(double[] v, double tau, double gradientError, double blockNorm) {
    double vn = norm(v, block.length);
    if (vn == 0) return 0;
    double h = step(vn);
    double ua = u + 2 * UNIT_ROUNDOFF_64;
    return h * h * vn * vn * vn * tau / 6
        + gradientError / h
        + ua * blockNorm * (thetaNorm + 2 * h * vn) / h
        + 3 * UNIT_ROUNDOFF_64 * blockNorm * vn;
  }

  private static double norm(double[] v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i] * v[i];
    return Math.sqrt(s);
  }

  private static void checkTheta(double[] theta) {
    if (theta == null || theta.length == 0) throw new IllegalArgumentException("theta must have at least one parameter");
    for (int i = 0; i < theta.length; i++) {
      if (!Double.isFinite(theta[i])) throw new IllegalArgumentException("theta[" + i + "] must be finite, got " + theta[i]);
    }
  }

  private static int[] checkBlock(int[] block, int n) {
    if (block == null || block.length == 0) throw new IllegalArgumentException("block must name at least one parameter index");
    boolean[] seen = new boolean[n];
    for (int i : block) {
      if (i < 0 || i >= n) throw new IllegalArgumentException("block index " + i + " outside [0, " + n + ")");
      if (seen[i]) throw new IllegalArgumentException("block index " + i + " given twice");
      seen[i] = true;
    }
    return block.clone();
  }
}
