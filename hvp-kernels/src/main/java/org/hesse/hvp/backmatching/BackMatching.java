package org.hesse.hvp.backmatching;

import java.util.Arrays;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;

/**
 * Back-matching local Hessians (Zhang, Chen &amp; Liu, "On the Local Hessian in Back-propagation", NeurIPS
 * 2018). Block k's back-matching loss is {@code (1/N) Σ_n ½‖z_k*[n] − F_k(z_{k−1}[n]; θ_k)‖²}; at z* = F its
 * Hessian is the Gauss-Newton matrix, so no target is needed:
 * <ul>
 *   <li>weight side {@code (1/N) Σ_n J_θ,nᵀ J_θ,n} (parameters in the layer's order, weights then bias);</li>
 *   <li>input side, per sample, {@code (1/N) J_z,nᵀ J_z,n}.</li>
 * </ul>
 * Both are computed generically from each layer's JVP and VJP rules on the block inputs cached by a
 * {@link Curvature}. A dense layer has the closed forms {@code [[I⊗C_xx, I⊗x̄], [I⊗x̄ᵀ, I]]} (a permutation
 * of {@code I_out ⊗ C}, {@code C = (1/N) Σ [x;1][x;1]ᵀ}, so its eigenvalues are eig(C), each out times) and
 * {@code (1/N) WᵀW}; {@link #covariance} gives C so spectra use that structure instead of ARPACK.
 * This is ½‖·‖² averaged over N, not nn.MSELoss's scaling.
 */
public final class BackMatching {
  private final Curvature c;
  private final Network net;
  private final int samples;

  public BackMatching(Curvature c) {
    this.c = c;
    this.net = c.network();
    this.samples = c.samples();
  }

  /** Parameters of layer k's block. */
  public int dim(int layer) {
    return checkParametrised(layer).paramCount();
  }

  /**
   * y = (1/N) Σ_n J_θ,nᵀ J_θ,n v for layer k (a one-off product; for many, keep {@link #weightSide}).
   */
  public void applyWeightSide(int layer, double[] v, double[] y) {
    weightSide(layer).apply(v, y);
  }

  /**
   * The weight side of layer k as an operator, from the layer's JVP and the GGN branch of its backward tangent
   * on the curvature's cached batches (see {@link #covariance} for a dense layer's structure). One per thread.
   */
  public org.hesse.eigen.LinearOperator weightSide(int layer) {
    checkParametrised(layer);
    return c.jacobianGram(layer);
  }

  /**
   * Whether layer k's weight side has the dense structure {@code I_out ⊗ C} ({@link #weightSideEigenvalues} applies):
   * the layer says so ({@link org.hesse.nn.Layer#affine()}).
   */
  public boolean structured(int layer) {
    return net.layer(checkLayer(layer)).affine();
  }

  /**
   * The weight side's full spectrum from its structure, ascending: eig(C) of {@link #covariance}, each
   * {@code out} times; no ARPACK and no p × p matrix.
   */
  public double[] weightSideEigenvalues(int layer) {
    int q = net.layer(layer).inputSize() + 1;
    int out = net.layer(layer).outputSize();
    double[] e = org.hesse.eigen.DenseEigen.all(covariance(layer), q, false).eigenvalues();
    double[] all = new double[q * out];
    for (int i = 0; i < q; i++) java.util.Arrays.fill(all, i * out, (i + 1) * out, e[i]);
    return all;
  }

  /** The weight side as a dense row-major p × p matrix, column by column from the generic product. */
  public double[] weightSideMatrix(int layer) {
    int p = dim(layer);
    MemoryBudget.current().checkDoubles(p, p, "back-matching weight side of layer " + layer);
    double[] m = new double[p * p];
    double[] e = new double[p];
    double[] col = new double[p];
    org.hesse.eigen.LinearOperator op = weightSide(layer);
    for (int j = 0; j < p; j++) {
      e[j] = 1;
      op.apply(e, col);
      e[j] = 0;
      for (int i = 0; i < p; i++) m[i * p + j] = col[i];
    }
    return m;
  }

  /**
   * Sample n's input side {@code (1/N) J_z,nᵀ J_z,n} of layer k, dense in × in, from the tangent pass over the
   * layer's nodes on that sample's row ({@link Curvature#inputGram}).
   */
  public double[] inputSideMatrix(int layer, int sample) {
    Layer l = net.layer(checkLayer(layer));
    if (sample < 0 || sample >= samples) {
      throw new IllegalArgumentException("sample: expected 0.." + (samples - 1) + ", got " + sample);
    }
    if (l.batchCoupled() && c.mode() != org.hesse.nn.Mode.EVAL) {
      throw new IllegalArgumentException("layer " + layer + " (" + l.type() + ") couples the samples of a batch "
          + "(batch statistics): a per-sample input side is not defined; use EVAL mode (running statistics)");
    }
    int in = l.inputSize();
    MemoryBudget.current().checkDoubles(in, in, "back-matching input side of layer " + layer);
    return c.inputGram(layer, sample);
  }

  /**
   * C = (1/N) Σ_n [x_n; 1][x_n; 1]ᵀ of a dense layer's inputs, (in+1) × (in+1) row-major: the weight side's
   * eigenvalues are eig(C), each {@code out} times.
   */
  public double[] covariance(int layer) {
    Layer l = checkParametrised(layer);
    if (!structured(layer)) throw new IllegalArgumentException("layer " + layer + " is not a dense layer on flat samples");
    int in = l.inputSize();
    int q = in + 1;
    double[] cov = new double[q * q];
    double[] xb = new double[c.batchSize() * in];
    double[] xa = new double[c.batchSize() * q];
    for (int b = 0; b < c.batches(); b++) {
      int rows = layerInput(layer, b, xb);
      for (int s = 0; s < rows; s++) {
        System.arraycopy(xb, s * in, xa, s * q, in);
        xa[s * q + in] = 1.0;
      }
      org.hesse.linalg.Gemm.gemm(true, false, q, q, rows, 1.0 / samples, xa, 0, xa, 0, 1.0, cov, 0);
    }
    return cov;
  }

  /** Copies the input of layer k for batch b into buf; returns the rows. */
  private int layerInput(int layer, int b, double[] buf) {
    return c.layerInput(layer, b, buf);
  }

  private int checkLayer(int layer) {
    if (layer < 0 || layer >= net.depth()) {
      throw new IllegalArgumentException("layer: expected 0.." + (net.depth() - 1) + ", got " + layer);
    }
    if (net.sharesTensors(layer)) {  // a block's local loss is its own nodes' function of its own parameters
      throw new IllegalArgumentException("layer " + net.layerName(layer) + ": shares a tensor with another layer, so"
          + " it has no back-matching loss of its own; expected a layer without shared tensors");
    }
    return layer;
  }

  private Layer checkParametrised(int layer) {
    Layer l = net.layer(checkLayer(layer));
    if (l.paramCount() == 0) {
      throw new IllegalArgumentException("layer " + layer + " (" + l.type() + ") has no parameters; layers with parameters: "
          + net.parametrisedLayers());
    }
    return l;
  }
}
