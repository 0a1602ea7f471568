package org.hesse.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.hesse.nn.ChannelNormaliser;
import org.hesse.nn.Layer;
import org.hesse.nn.Network;
import org.hesse.nn.Workspace;

/**
 * Scale-amended SGD (Zhang, Chen &amp; Liu, "On the Local Hessian in Back-propagation", NeurIPS 2018): every row
 * w_i of a dense layer (or filter of a conv layer) that feeds a batch-normalisation unit with scale γ_i takes the
 * step of plain SGD divided by a scalar approximation of its back-matching local Hessian.
 *
 * <h2>Derivation</h2>
 * Unit i computes {@code u = w_iᵀx + b_i}, then BN gives {@code γ_i (u − μ_i)/√(σ_i² + ε) + β_i} with the batch
 * variance {@code σ_i² = w_iᵀ Σ w_i} (Σ the batch covariance of x; the bias cancels). The back-matching loss
 * {@code ½‖z* − F(x; w_i)‖²} of this block has the Gauss-Newton matrix
 * {@code J_wᵀJ_w = (γ_i²/(σ_i²+ε)) · P Σ P}, P the Σ-orthogonal projection off w_i, so w_i itself is a null
 * direction (at ε = 0) and the curvature along the others is about {@code γ_i²/σ_i²} times that of Σ. Dividing
 * the gradient by that scalar gives
 * <pre>   w_i ← w_i − η · s_i · ∂L/∂w_i,   s_i = (σ_i² + ε)/γ_i²                 (variant BATCH_VARIANCE)</pre>
 * and with isotropic inputs (Σ = I) {@code σ_i² = ‖w_i‖²}:
 * <pre>   s_i = ‖w_i‖²/γ_i²                                                     (variant NORM)</pre>
 * Why it helps: at ε = 0 the loss is invariant to {@code w_i → c·w_i}, so {@code ∂L/∂(c w_i) = (1/c) ∂L/∂w_i} and
 * {@code ∂L/∂w_i ⊥ w_i}. Plain SGD therefore moves the direction {@code w_i/‖w_i‖} with the effective rate
 * {@code η/‖w_i‖²}: a larger initial norm means a smaller step on the sphere, and the norm itself grows with every
 * step (Pythagoras), so the effective rate decays on its own. With the amended rule the step in direction
 * space is {@code η s_i/‖w_i‖²}, and s_i scales like ‖w_i‖² in both variants (σ_i² = w_iᵀΣw_i), so the factor
 * cancels: the trajectory of {@code w_i/‖w_i‖} does not depend on the scale of w_i (exactly at ε = 0 and
 * without weight decay; {@code ScaleAmendedSgdTest} checks it).
 *
 * <h2>What is amended, and what is not</h2>
 * Amended: every top-level dense or conv layer (a layer with a weight matrix, {@link org.hesse.nn.Layer#weightRows}) immediately followed by a batch normaliser ({@link org.hesse.nn.Layer#channelNormaliser}: BatchNorm) with
 * as many channels as it has outputs; row i of the weight matrix (conv: filter i, {@code C·k·k} values) is scaled
 * by s_i. Biases, γ/β, the classifier (no BN after it) and layers nested in residual blocks stay on plain SGD
 * (s = 1). γ_i² is floored at {@link #MIN_GAMMA_SQUARED} so that a unit whose γ has collapsed does not take an
 * unbounded step.
 *
 * <h2>Momentum and weight decay</h2>
 * Per element, with s the element's scale (1 outside amended rows), momentum μ and weight decay λ:
 * <pre>
 *   d = s · g + λ θ          (the gradient is scaled, the decay is not)
 *   v = μ v + d;   θ = θ − η (nesterov ? d + μ v : v)
 * </pre>
 * i.e. the scaled gradient goes into the momentum buffer (the scaling is a preconditioner of the gradient, as the
 * step a preconditioned method would take), and for s = 1 this is {@link Sgd} (torch.optim.SGD) exactly. Both
 * choices keep the scale invariance: under {@code w → c w} we have {@code s g → c·s g}, {@code λ w → c·λ w},
 * so d, v and the step all scale by c. Scaling the decay too ({@code s(g + λθ)}) would break it (a c³ term), so
 * the decay stays outside (without momentum it is a plain shrinkage {@code θ ← (1 − ηλ) θ} per step), which is
 * scale-equivariant.
 * Scaling the gradient rather than the final step also means that when s_i varies from batch to batch each
 * gradient keeps the scale of the batch it came from.
 *
 * <h2>Batch statistics</h2>
 * The BATCH_VARIANCE variant needs σ_i² of the current batch: the {@link Trainer} calls
 * {@link #observeBatch(Workspace, int)} after the forward/backward pass and before {@link #step}, and the variance
 * is recomputed from the workspace's BN input activation (the dense/conv output) with
 * {@link ChannelNormaliser#batchStatistics}: the same biased variance over the m = batch·spatial values that BN normalised
 * with in TRAIN mode, at O(batch·width) cost. {@code step} refuses to run without a fresh observation. The NORM
 * variant needs only θ. γ_i and ‖w_i‖ are read from θ at the step.
 *
 * <h2>In practice</h2>
 * The rule removes the implicit rate decay that plain SGD gets from BN (‖w_i‖ grows, η/‖w_i‖² falls), so a rate that
 * is too large stays too large, and ‖w_i‖ then grows geometrically (harmless for the direction, but it can reach
 * overflow over long runs). On Fashion-MNIST it trained as well as SGD at its best rate but was more sensitive to the
 * rate: see docs/experiments/README.md ({@code hesse experiment scale-amended}).
 */
public final class ScaleAmendedSgd implements Optimizer {
  /** Floor on γ_i² in the denominator of s_i (|γ_i| ≥ 0.01). */
  public static final double MIN_GAMMA_SQUARED = 1e-4;

  /** Which scalar approximates the batch variance of the BN input. */
  public enum Variant {
    /** s_i = (σ_i² + ε)/γ_i² with the current batch's variance (needs {@link #observeBatch}). */
    BATCH_VARIANCE,
    /** s_i = ‖w_i‖²/γ_i²: the isotropic-input approximation Σ = I; needs only θ. */
    NORM;

    public static Variant byName(String name) {
      String n = name.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
      if (n.equals("batch_variance") || n.equals("variance") || n.equals("bn")) return BATCH_VARIANCE;
      if (n.equals("norm")) return NORM;
      throw new IllegalArgumentException("variant: expected 'variance' or 'norm', got '" + name + "'");
    }
  }

  /** One amended layer: its weight rows and the BN that follows. */
  private static final class Block {
    final int layer;         // index of the dense / conv layer
    final int weightOff;     // flat offset of its weight matrix
    final int rows;          // outputs / channels
    final int rowLen;        // inputs / C·k·k
    final int gammaOff;      // flat offset of the BN's γ
    final ChannelNormaliser bn;
    final int scaleOff;      // first of its rows in scales[]

    Block(int layer, int weightOff, int rows, int rowLen, int gammaOff, ChannelNormaliser bn, int scaleOff) {
      this.layer = layer;
      this.weightOff = weightOff;
      this.rows = rows;
      this.rowLen = rowLen;
      this.gammaOff = gammaOff;
      this.bn = bn;
      this.scaleOff = scaleOff;
    }
  }

  private final Network net;
  private final Variant variant;
  private final int size;
  /** The plain SGD rule (and its momentum state), applied to the rescaled gradient. */
  private final Sgd sgd;
  private final double[] scaledGrad;
  private final List<Block> blocks;
  /** Current s_i of every amended row (all blocks, in order), refreshed at every step. */
  private final double[] scales;
  /** Batch variance of every amended row's BN input, from the last observeBatch. */
  private final double[] variance;
  private final double[] meanScratch;
  private final double[] varScratch;
  private boolean observed;

  /** Plain scale-amended SGD: no momentum, no weight decay. */
  public ScaleAmendedSgd(Network net, Variant variant) {
    this(net, variant, 0.0, 0.0, false);
  }

  public ScaleAmendedSgd(Network net, Variant variant, double momentum, double weightDecay, boolean nesterov) {
    if (net == null) throw new IllegalArgumentException("net: expected a network, got null");
    if (variant == null) throw new IllegalArgumentException("variant: expected BATCH_VARIANCE or NORM, got null");
    this.net = net;
    this.variant = variant;
    this.size = net.paramCount();
    this.sgd = new Sgd(size, momentum, weightDecay, nesterov);
    this.scaledGrad = new double[size];
    List<Block> bs = new ArrayList<>();
    int total = 0;
    int maxChannels = 1;
    for (int k = 0; k + 1 < net.depth(); k++) {
      Layer l = net.layer(k);
      ChannelNormaliser bn = net.layer(k + 1).channelNormaliser();
      if (bn == null) continue;
      int rows = l.weightRows();
      int rowLen = l.weightRowLength();
      if (rows == 0) continue;
      if (bn.channels() != rows) continue;
      if (net.sharesTensors(k) || net.sharesTensors(k + 1)) continue;  // its block is not its nodes' weight rows
      bs.add(new Block(k, net.offset(k), rows, rowLen, net.offset(k + 1), bn, total));
      total += rows;
      maxChannels = Math.max(maxChannels, rows);
    }
    this.blocks = List.copyOf(bs);
    this.scales = new double[total];
    this.variance = new double[total];
    this.meanScratch = new double[maxChannels];
    this.varScratch = new double[maxChannels];
  }

  @Override public int size() { return size; }
  public Variant variant() { return variant; }
  public double momentum() { return sgd.momentum(); }
  public double weightDecay() { return sgd.weightDecay(); }
  public boolean nesterov() { return sgd.nesterov(); }

  /** Indices of the amended (dense or conv) layers, in order. */
  public int[] amendedLayers() {
    int[] out = new int[blocks.size()];
    for (int b = 0; b < out.length; b++) out[b] = blocks.get(b).layer;
    return out;
  }

  /** Number of amended rows over all amended layers. */
  public int amendedRows() {
    return scales.length;
  }

  /** A copy of the scales s_i used by the last step, amended rows in layer then row order. */
  public double[] lastScales() {
    return scales.clone();
  }

  @Override
  public void observeBatch(Workspace ws, int rows) {
    if (ws == null) throw new IllegalArgumentException("ws: expected the training workspace, got null");
    if (rows < 1 || rows > ws.maxBatch()) {
      throw new IllegalArgumentException("rows: expected 1.." + ws.maxBatch() + ", got " + rows);
    }
    if (variant != Variant.BATCH_VARIANCE) return;
    for (Block b : blocks) {
      double[] u = ws.act(b.layer + 1);
      if (u.length < rows * net.width(b.layer + 1)) {
        throw new IllegalArgumentException("ws: activation " + (b.layer + 1) + " holds " + u.length
            + " values, expected at least " + rows + " × " + net.width(b.layer + 1) + " (a workspace of another network?)");
      }
      // the BN input is the dense/conv output: its biased batch variance is what BN normalised with
      b.bn.batchStatistics(u, rows, meanScratch, varScratch);
      System.arraycopy(varScratch, 0, variance, b.scaleOff, b.rows);
    }
    observed = true;
  }

  @Override
  public void step(double[] theta, double[] grad, double lr) {
    Optimizer.checkStep(size, theta, grad, lr);
    if (variant == Variant.BATCH_VARIANCE && !blocks.isEmpty() && !observed) {
      throw new IllegalStateException("scale-amended SGD (batch variance): call observeBatch(ws, rows) with the batch's "
          + "workspace before every step (the Trainer does), or use the 'norm' variant");
    }
    observed = false;
    // d = s·g + λθ per element, then plain SGD: scaling the gradient only (not the decay) keeps the invariance
    System.arraycopy(grad, 0, scaledGrad, 0, size);
    for (Block b : blocks) {
      for (int i = 0; i < b.rows; i++) {
        int from = b.weightOff + i * b.rowLen;
        double gamma = theta[b.gammaOff + i];
        double g2 = Math.max(gamma * gamma, MIN_GAMMA_SQUARED);
        double num;
        if (variant == Variant.NORM) {
          num = 0;
          for (int j = 0; j < b.rowLen; j++) num += theta[from + j] * theta[from + j];
        } else {
          num = variance[b.scaleOff + i] + b.bn.eps();
        }
        double s = num / g2;
        scales[b.scaleOff + i] = s;
        for (int j = from; j < from + b.rowLen; j++) scaledGrad[j] = s * grad[j];
      }
    }
    sgd.step(theta, scaledGrad, lr);
  }

  @Override
  public void reset() {
    sgd.reset();
    Arrays.fill(scales, 0.0);
    observed = false;
  }

  @Override
  public String describe() {
    return "scale-amended-sgd(variant=" + variant.name().toLowerCase(java.util.Locale.ROOT) + ", momentum=" + momentum()
        + ", weight_decay=" + weightDecay() + (nesterov() ? ", nesterov" : "") + ", amended layers="
        + Arrays.toString(amendedLayers()) + ")";
  }
}
