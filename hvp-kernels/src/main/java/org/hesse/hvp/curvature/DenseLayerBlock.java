package org.hesse.hvp.curvature;

import java.util.Arrays;
import org.hesse.hvp.curvature.Curvature.Kind;
import org.hesse.linalg.Gemm;
import org.hesse.nn.Dense;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;

/**
 * The exact diagonal block of a dense layer from its factors (BackPACK's Kronecker structure):
 * with x_n the layer's input and M_n = ∂²ℓ_n/∂z_n² the back-propagated output Hessian of sample n
 * (carrying the 1/N weight),
 * <pre>
 *   H[(i,j),(i',j')] = Σ_n M_n[i,i'] x_n[j] x_n[j']      weights, row-major index i·in + j
 *   H[(i,j), b_i']   = Σ_n M_n[i,i'] x_n[j]              weight–bias coupling
 *   H[b_i, b_i']     = Σ_n M_n[i,i']
 * </pre>
 * i.e. {@code Σ_n M_n ⊗ (x̃_n x̃_nᵀ)} with x̃ = [x; 1], permuted to weights-then-bias order. M_n is computed by
 * the layers' own second-order rules (unit tangents injected at the layer output, run to the loss and back),
 * so the Hessian keeps every σ''·g term and the GGN drops them. The structured product
 * {@code (Hv)_W = Σ_n (M_n (V x_n + v_b)) x_nᵀ} needs no network pass.
 */
public final class DenseLayerBlock {
  private final int layer;
  private final int in;
  private final int out;
  private final int samples;
  private final double[] x;  // N × in, the layer's inputs
  private final double[] m;  // N × out × out, the output Hessians

  private DenseLayerBlock(int layer, int in, int out, int samples, double[] x, double[] m) {
    this.layer = layer;
    this.in = in;
    this.out = out;
    this.samples = samples;
    this.x = x;
    this.m = m;
  }

  /** Computes the factors of dense layer {@code layer}; refused when N·out² doubles exceed the memory budget. */
  public static DenseLayerBlock of(Curvature c, Kind kind, int layer) {
    Network net = c.net;
    if (layer < 0 || layer >= net.depth() || !net.layer(layer).affine() || net.firstNode(layer) != net.lastNode(layer)) {
      throw new IllegalArgumentException("layer " + layer + " is not a dense layer on flat samples");
    }
    c.requirePerSample("the exact block of layer " + layer);
    c.requireOwnTensors(layer, "the Kronecker factors of layer " + layer);
    int in = net.layer(layer).inputSize();
    int out = net.layer(layer).outputSize();
    int n = c.samples;
    MemoryBudget.current().checkDoubles((long) n * out, out, "output Hessians of layer " + layer);
    double[] x = new double[n * in];
    double[] m = new double[n * out * out];
    int k = out;
    TangentPass pass = new TangentPass(c);
    double[] dz = new double[c.maxBatch * k * out];
    double[] mb = new double[c.maxBatch * k * out];
    // the layer's node: in a graph it may read any earlier activation, not the previous layer's output
    org.hesse.nn.Node node = net.node(net.firstNode(layer));
    int a = node.output();
    c.forEachBatch((i, b) -> {
      int row = i * c.maxBatch;
      System.arraycopy(b.ws.activation(node.input(0)), 0, x, row * in, b.rows * in);
      Arrays.fill(dz, 0, b.rows * k * out, 0.0);
      for (int s = 0; s < b.rows; s++) for (int j = 0; j < out; j++) dz[(s * k + j) * out + j] = 1.0;
      // rows (s, j) of the result are M_s e_j: sample s's out × out matrix, contiguous
      c.activationPass(kind, a, a, b, dz, mb, k, pass);
      System.arraycopy(mb, 0, m, row * out * out, b.rows * out * out);
    });
    return new DenseLayerBlock(layer, in, out, n, x, m);
  }

  public int layer() { return layer; }

  /** Parameters of the block: out·in weights then out biases. */
  public int dim() { return out * in + out; }

  /** The per-sample output Hessians, N × out × out row-major (with the 1/N weight). */
  public double[] outputHessians() { return m.clone(); }

  /** The dense block, row-major dim × dim, weights then bias; refused when it exceeds the memory budget. */
  public double[] assemble() {
    int dim = dim();
    MemoryBudget.current().checkDoubles(dim, dim, "dense block of layer " + layer);
    int q = in + 1;
    double[] h = new double[dim * dim];
    double[] xa = new double[samples * q];  // x̃_n = [x_n; 1]
    for (int s = 0; s < samples; s++) {
      System.arraycopy(x, s * in, xa, s * q, in);
      xa[s * q + in] = 1.0;
    }
    double[] scaled = new double[samples * q];
    double[] qq = new double[q * q];
    for (int i = 0; i < out; i++) {
      for (int i2 = 0; i2 < out; i2++) {
        // Σ_n M_n[i,i2] x̃_n x̃_nᵀ = X̃ᵀ diag(M[i,i2]) X̃
        for (int s = 0; s < samples; s++) {
          double w = m[(s * out + i) * out + i2];
          for (int j = 0; j < q; j++) scaled[s * q + j] = w * xa[s * q + j];
        }
        Gemm.gemm(true, false, q, q, samples, 1.0, xa, 0, scaled, 0, 0.0, qq, 0);
        for (int j = 0; j < q; j++) {
          int r = j < in ? i * in + j : out * in + i;
          for (int j2 = 0; j2 < q; j2++) {
            int col = j2 < in ? i2 * in + j2 : out * in + i2;
            h[r * dim + col] = qq[j * q + j2];
          }
        }
      }
    }
    return h;
  }

  /** The structured product y = H v (v: weights then bias), without a network pass. */
  public void apply(double[] v, double[] y) {
    if (v.length != dim() || y.length != dim()) {
      throw new IllegalArgumentException("v, y: expected length " + dim() + ", got " + v.length + ", " + y.length);
    }
    double[] u = new double[samples * out];
    for (int s = 0; s < samples; s++) System.arraycopy(v, out * in, u, s * out, out);
    Gemm.gemm(false, true, samples, out, in, 1.0, x, 0, v, 0, 1.0, u, 0);  // u_n = V x_n + v_b
    double[] w = new double[samples * out];
    for (int s = 0; s < samples; s++) {
      int mo = s * out * out;
      for (int i = 0; i < out; i++) {
        double acc = 0;
        for (int i2 = 0; i2 < out; i2++) acc += m[mo + i * out + i2] * u[s * out + i2];
        w[s * out + i] = acc;
      }
    }
    Gemm.gemm(true, false, out, in, samples, 1.0, w, 0, x, 0, 0.0, y, 0);  // Σ_n w_n x_nᵀ
    Arrays.fill(y, out * in, dim(), 0.0);
    Dense.addColumnSums(w, samples, out, y, out * in);
  }
}
