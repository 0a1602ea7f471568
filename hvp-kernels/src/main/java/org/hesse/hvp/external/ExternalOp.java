package org.hesse.hvp.external;

/**
 * One parameter-free node of a network whose derivatives another framework computes (its own autodiff, e.g. a
 * custom op Hesse has no rule for), put into a {@link org.hesse.nn.Network} as an {@link ExternalLayer}. Hesse
 * runs every other node itself and, through this callback, gets exact Hessian and Gauss-Newton blocks of every
 * layer before and after the node.
 *
 * <h2>The batched contract</h2>
 * Every array is row-major, {@code rows × width}, one row per sample (and per direction: the curvature engine runs
 * k directions of a batch of N samples as N·k rows, sample n's input repeated in rows n·k .. n·k+k−1), with
 * width the product of the input or output sample shape. The op must act on each row on its own (no coupling
 * between the rows of a batch, unlike batch normalisation), so that rows may be batched in any way. Each call
 * gets arrays of exactly {@code rows × width} values that Hesse does not use again (the callback may modify or keep
 * them) and returns a new array of exactly {@code rows × width} values; a wrong length is refused with an
 * exception naming the node. With y = f(x) per row and J(x) its Jacobian ({@code out × in}):
 * <ul>
 *   <li>{@link #forward}: y;
 *   <li>{@link #jvp}: J(x) dx (the forward tangent);
 *   <li>{@link #vjp}: J(x)ᵀ gy (the backward signal; also the Gauss-Newton part of the backward tangent);
 *   <li>{@link SecondOrder#vjpDerivative}, optional: {@code d/dε [J(x + ε dx)ᵀ gy]} at ε = 0, i.e.
 *       {@code Σ_o gy_o ∇²f_o(x) dx}: the term of the exact Hessian that carries the first-order signal (the
 *       "residual term" of docs/graph-engine.md).
 * </ul>
 * Gauss-Newton products need forward, jvp and vjp only and are exact either way. Hessian products whose backward
 * pass reaches the node (blocks of the layers before it, the full Hessian) also need the second derivative: an op
 * implementing {@link SecondOrder} supplies it; for a plain {@code ExternalOp} Hesse differences {@link #vjp}
 * (below) and {@link org.hesse.hvp.curvature.Curvature#approximations()} says so. Blocks of layers after the node
 * never need it.
 *
 * <h2>Without the second derivative: central differences of the VJP</h2>
 * Per row, with the row's x, its tangent dx and signal gy,
 * {@code D = (vjp(x + h dx, gy) − vjp(x − h dx, gy)) / 2h}, two batched {@link #vjp} calls per product, with the
 * step of {@link GradientHvp} applied to the row:
 * <pre>    h = ∛u · (1 + ‖x‖) / ‖dx‖,   u = 2⁻⁵³</pre>
 * ({@link ExternalLayer#step}). To first order in u, with R the matrix {@code Σ_o gy_o ∇²f_o(x)} of the exact term
 * (spectral norm ‖R‖), τ a bound on {@code ‖d³/dt³ J(x + t d̂)ᵀ gy‖} for |t| ≤ h‖dx‖ and d̂ = dx/‖dx‖ (a fourth
 * derivative of f contracted with gy), and ε_v a bound on the callback's error in {@code vjp} at x ± h dx:
 * <pre>
 *   ‖D − R dx‖ ≤ h²‖dx‖³τ/6                     truncation (Taylor, the even terms cancel)
 *              + ε_v / h                        the callback's error, divided by 2h, twice
 *              + u ‖R‖ (‖x‖ + 2h‖dx‖) / h        x ± h dx rounded in double
 *              + 3u ‖R‖ ‖dx‖                    the subtraction and division
 * </pre>
 * ({@link ExternalLayer#errorBound} evaluates it). With the step above every term is O(u^{2/3}) relative to ‖dx‖:
 * <pre>    ‖D − R dx‖ / ‖dx‖ ≲ u^{2/3} · ((1+‖x‖)² τ/6 + γ/(1+‖x‖) + ‖R‖)</pre>
 * for a callback accurate to ε_v = γu, u^{2/3} ≈ 2.3·10⁻¹¹. The Hessian product's error is these row errors
 * carried back linearly through the layers below the node (for a dense layer right below it, {@code Σ_rows
 * ‖D − R dx‖ · ‖(x_in, 1)‖} on its block, x_in the dense layer's input row). The callback is float64; a float32
 * framework's rounding enters through γ (γu ≈ 2⁻²⁴‖J‖‖gy‖), which makes the bound about 10⁻⁵ relative: supply
 * {@link SecondOrder} there. The differenced Hessian is symmetric only up to this error (eigenvalues move by at most
 * its norm, by Weyl's inequality, for its symmetric part).
 *
 * <p>Threads: one curvature operator calls the callback from one thread at a time; operators used from several
 * threads at once call it concurrently, so such a callback must be thread-safe.
 */
public interface ExternalOp {
  /**
   * The op's type name: the layer's type in reports and its {@code "type"} in a model description
   * ({@link ExternalLayer#register}).
   *
   * @return a non-empty name, e.g. {@code "softsign"}
   */
  String name();

  /**
   * The shape of one sample's output for one sample's input.
   *
   * @param inputShape the input sample shape, e.g. {@code [D]} or {@code [C, H, W]}
   * @return the output sample shape (one or more dimensions, each &gt; 0)
   */
  int[] outputShape(int[] inputShape);

  /**
   * The forward pass, y = f(x) per row.
   *
   * @param x    rows × in
   * @param rows the number of rows
   * @return rows × out
   */
  double[] forward(double[] x, int rows);

  /**
   * The forward tangent, J(x) dx per row.
   *
   * @param x    rows × in
   * @param dx   rows × in
   * @param rows the number of rows
   * @return rows × out
   */
  double[] jvp(double[] x, double[] dx, int rows);

  /**
   * The vector-Jacobian product, J(x)ᵀ gy per row.
   *
   * @param x    rows × in
   * @param gy   rows × out
   * @param rows the number of rows
   * @return rows × in
   */
  double[] vjp(double[] x, double[] gy, int rows);

  /** An op that also supplies the second derivative, so that every Hessian block through it is exact. */
  interface SecondOrder extends ExternalOp {
    /**
     * The derivative of the VJP along dx, {@code d/dε [J(x + ε dx)ᵀ gy]} at ε = 0 (= {@code Σ_o gy_o ∇²f_o(x) dx})
     * per row.
     *
     * @param x    rows × in
     * @param dx   rows × in
     * @param gy   rows × out
     * @param rows the number of rows
     * @return rows × in
     */
    double[] vjpDerivative(double[] x, double[] dx, double[] gy, int rows);
  }
}
