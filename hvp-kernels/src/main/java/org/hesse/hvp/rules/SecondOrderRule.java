package org.hesse.hvp.rules;

import org.hesse.nn.Layer;
import org.hesse.precision.Float32Twin;

/**
 * A layer type's second-order rules (one file per type, named after it: Dense → DenseSecondOrder, registered in
 * {@code META-INF/services/org.hesse.hvp.rules.SecondOrderRule} and found by {@link SecondOrderRules#of(Layer)}):
 * the forward tangent (JVP / R-op) and the tangent of the backward pass (Pearlmutter's R{backprop}) of one node.
 * Hessian-, Gauss-Newton-, block and activation-space products are passes of the one executor over these rules; no
 * rule knows which product it is part of beyond the {@code gaussNewton} flag, with which it drops every term that
 * carries the first-order signal g (BackPACK's split: GGN = the same pass without the residual terms).
 *
 * <p>Arguments: the node's {@link Primal} (op, θ, inputs, output, signal g, prepared quantities) for the batch; per
 * input the tangent of that input, {@code (batch·k) × width} with row {@code n·k + j} = direction j of sample n
 * (null = zero); the direction v on the node's parameters and the product hv as {@link View}s (null = zero / not
 * wanted); the operator's {@link Scratch}. A rule keeps nothing between calls.
 */
public interface SecondOrderRule {
  /** The op class this rule belongs to. */
  Class<? extends Layer> layerType();

  /**
   * Quantities that depend only on (θ, inputs) and that every product reuses, e.g. σ'(x) and σ''(x) of an
   * activation, or a batch-norm layer's batch statistics; null when the rule needs none. {@code previous} is what
   * this rule prepared for the same node and batch at other parameters (or null): a rule may refill its arrays.
   */
  @Float32Twin
  default Object prepare(Primal p, Object previous) {
    return null;
  }

  /** {@code dz = Σ_i J_{x_i} dx_i + J_θ v}. */
  void jvp(Primal p, double[][] dxs, View v, double[] dz, int k, Scratch s);

  /**
   * The Gauss-Newton part of the backward tangent, the first-order VJP applied to the tangent dg of the output signal:
   * {@code dgIns[i] = J_{x_i}ᵀ dg} (skipped where null, overwritten otherwise) and {@code hv += J_θᵀ dg} (skipped
   * when null).
   */
  void vjpTangent(Primal p, double[] dg, double[][] dgIns, View hv, int k, Scratch s);

  /**
   * The residual part: adds the terms that carry the first-order signal g ({@code R{J_xᵀ} g} and
   * {@code R{J_θᵀ} g}: σ''⊙dx⊙g, V_Wᵀg, g dxᵀ, ...) to what {@link #vjpTangent} wrote into dgIns and hv. None for
   * linear parameter-free ops.
   */
  @Float32Twin
  default void residualTerms(Primal p, double[][] dxs, View v, double[][] dgIns, View hv, int k, Scratch s) {}

  /**
   * The float32 forward tangent (docs/precision.md): a rule has it when its float64 {@code jvp} is marked
   * {@code @Float32Twin} (a generated twin); refused by default.
   */
  default void jvp(Primal32 p, float[][] dxs, View32 v, float[] dz, int k, Scratch32 s) {
    throw org.hesse.precision.Precision.noFloat32(p.layer.type());
  }

  /** The float32 Gauss-Newton part of the backward tangent (see {@link #jvp(Primal32, float[][], View32, float[], int, Scratch32)}). */
  default void vjpTangent(Primal32 p, float[] dg, float[][] dgIns, View32 hv, int k, Scratch32 s) {
    throw org.hesse.precision.Precision.noFloat32(p.layer.type());
  }

  /** Whether this rule has float32 twins of its tangent rules. */
  default boolean float32() {
    try {
      return getClass().getMethod("jvp", Primal32.class, float[][].class, View32.class, float[].class, int.class,
          Scratch32.class).getDeclaringClass() != SecondOrderRule.class;
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Null when this rule's Hessian products on {@code layer} are exact (up to rounding); else one line saying which
   * term is approximated and how (an external op without its second derivative: differences of its VJP).
   * Gauss-Newton products are exact in every rule.
   */
  default String approximation(Layer layer) {
    return null;
  }

  /**
   * The tangent of the backward pass, {@code dgIns[i] = R{J_{x_i}ᵀ g}} and {@code hv += R{J_θᵀ g}}: the Gauss-Newton
   * part, plus the residual terms unless {@code gaussNewton} (BackPACK's split: the GGN is the same pass without the
   * residual terms). A rule overrides it only with a fused version whose speed-up was measured; its two parts must
   * still give the same result.
   */
  @Float32Twin
  default void backwardTangent(Primal p, double[] dg, double[][] dxs, View v, double[][] dgIns, View hv,
                               boolean gaussNewton, int k, Scratch s) {
    vjpTangent(p, dg, dgIns, hv, k, s);
    if (!gaussNewton) residualTerms(p, dxs, v, dgIns, hv, k, s);
  }

  /**
   * {@link #backwardTangent} for a quadratic form, where the product on the node's parameters is wanted only through
   * its inner product with the direction: writes dgIns as {@link #backwardTangent} does and adds
   * {@code ⟨v_j, R{J_θᵀ g}_j⟩} to {@code q[qOff + j]} for each direction j, given the node's output tangent dz (v is
   * not null). A rule implements it only where that is cheaper than the product itself; it returns false, having
   * done nothing, where it is not (the default: the pass then forms the product in a buffer and takes the inner
   * products).
   */
  @Float32Twin
  default boolean quadraticForm(Primal p, double[] dg, double[] dz, double[][] dxs, View v, double[][] dgIns,
                                boolean gaussNewton, int k, Scratch s, double[] q, int qOff) {
    return false;
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  default Object prepare(Primal32 p, Object previous) {
    return null;
  }

  default void residualTerms(Primal32 p, float[][] dxs, View32 v, float[][] dgIns, View32 hv, int k, Scratch32 s) {
  }

  default void backwardTangent(Primal32 p, float[] dg, float[][] dxs, View32 v, float[][] dgIns, View32 hv, boolean gaussNewton, int k, Scratch32 s) {
    vjpTangent(p, dg, dgIns, hv, k, s);
    if (!gaussNewton)
      residualTerms(p, dxs, v, dgIns, hv, k, s);
  }

  default boolean quadraticForm(Primal32 p, float[] dg, float[] dz, float[][] dxs, View32 v, float[][] dgIns, boolean gaussNewton, int k, Scratch32 s, float[] q, int qOff) {
    return false;
  }
  // ---- end of generated float32 twins ----
}
