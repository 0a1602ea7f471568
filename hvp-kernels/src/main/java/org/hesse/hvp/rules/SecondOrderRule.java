package org.hesse.hvp.rules;

import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;

/**
 * A layer type's second-order rules (one file per type, found by {@link SecondOrderRules#of(Layer)}):
 * the forward tangent (JVP / R-op) and the tangent of the backward pass (Pearlmutter's R{backprop}).
 * Hessian-, Gauss-Newton- and block products are compositions of these two rules; no rule knows which
 * product it is part of beyond the {@code gaussNewton} flag.
 *
 * <p>Notation per layer {@code z = F(x; θ)}: x, z its input and output batches (rows = samples) from the
 * forward pass; g the gradient signal at z (already carrying the loss's 1/N weight).
 * The rules act on k directions at once, so that k products become GEMMs:
 * <ul>
 *   <li>tangents dx, dz, dg, dgIn are {@code (batch·k) × width}, row {@code n·k + j} = direction j of sample n;</li>
 *   <li>the direction v on θ and the product hv are read and written where they are: direction j's parameters
 *       of this layer start at {@code vOff + j·vStride} (and {@code hvOff + j·hvStride}), in the layer's own
 *       layout (each tensor as in θ, weights then bias), so k full-length vectors back to back are passed as
 *       they are, with the layer's offset and the vector length as stride.</li>
 * </ul>
 * A null dx or v means zero. A pass calls {@link #jvp} before {@link #backwardTangent} for the same direction, on the
 * same thread and with the inputs unchanged in between, or passes null dx and v to a backward tangent without a jvp
 * (layers below where a tangent starts): a rule may reuse in the backward tangent what its jvp computed (the
 * residual rule keeps its inner tangents).
 */
public interface SecondOrderRule {
  /**
   * Quantities that depend only on (θ, x) and that every product reuses, e.g. σ'(x) and σ''(x) of an
   * activation, or a batch-norm layer's batch statistics; null when the rule needs none. Computed once per
   * batch and parameters by the curvature engine, with the context (mode, buffers) of the forward pass.
   */
  default Object prepare(Layer layer, LayerContext ctx, double[] theta, int off, double[] x, double[] z, int batch) {
    return prepare(layer, ctx, theta, off, x, z, batch, null);
  }

  /**
   * As above; {@code previous} is what this rule prepared for the same layer and batch at other parameters (or
   * null): a rule may refill its arrays and return it instead of allocating new ones.
   */
  default Object prepare(Layer layer, LayerContext ctx, double[] theta, int off, double[] x, double[] z, int batch,
                         Object previous) {
    return null;
  }

  /** {@code dz = J_x dx + J_θ v}. */
  void jvp(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
           double[] dx, double[] v, int vOff, int vStride, double[] dz, int batch, int k);

  /**
   * The tangent of the backward pass: {@code dgIn = R{J_xᵀ g}} (skipped when dgIn is null) and
   * {@code hv += R{J_θᵀ g}} (skipped when hv is null). With {@code gaussNewton} every term that
   * carries g itself is dropped, so only {@code J_xᵀ dg} and {@code J_θᵀ dg} remain.
   */
  void backwardTangent(Layer layer, Object prep, double[] theta, int off, double[] x, double[] z,
                       double[] g, double[] dg, double[] dx, double[] v, int vOff, int vStride,
                       double[] dgIn, double[] hv, int hvOff, int hvStride, boolean gaussNewton, int batch, int k);
}
