package org.hesse.hvp.curvature;

import java.util.Arrays;
import java.util.List;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.SecondOrderRules;
import org.hesse.hvp.rules.View32;
import org.hesse.io.InputException;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.nn.Objective;
import org.hesse.nn.Workspace32;
import org.hesse.precision.Precision;

/**
 * {@link Curvature} with float32 storage (docs/precision.md): parameters, activations, signals, tangents and
 * per-batch products are float arrays and every product is an SGEMM. It runs the float64 engine's own passes, as
 * their generated float32 twins: the forward and signals of {@link Network#lossAndSignals} on a {@link Workspace32},
 * and {@code TangentPass32} (forward tangents, loss Hessian, backward tangents through the executor's fan-out sums)
 * on each batch's {@code Curvature.BatchCache32}; this class only rounds the operators' double vectors to float and
 * widens the products. What needs float64 stays float64: the loss, its gradient and its Hessian-vector product at the
 * output ({@link org.hesse.nn.Loss}'s float entry points widen the output), the sum of the per-batch products over
 * the data set, and the operators' vectors (a direction is rounded to float once per application).
 *
 * <p>Scope: any graph whose every node type has float32 twins of its layer and second-order rules (docs/precision.md),
 * also with shared (tied) tensors (as {@link CurvatureOperator}: directions expanded to the slots, products summed
 * back over the uses); anything else is refused on construction with a one-line {@link InputException} naming
 * the layer type. What is cached is {@link Curvature}'s rule ({@link Curvature.CacheMode}: all, the first batches that
 * fit the memory budget, or none), run by the same {@link BatchSet}: a streamed batch is recomputed in a borrowed
 * float workspace for each product, with the same numbers. Not thread-safe (one operator per thread, as
 * {@link Curvature}).
 */
public final class Float32Curvature {
  private final Network net;
  private final double[] theta;  // stale after update(float[]) until parameters() widens thetaF into it
  private boolean thetaStale;
  private final float[] thetaF;
  private final float[] slotsF;  // θ expanded to the nodes' slots (thetaF when nothing is shared): what the rules read
  private final int samples;
  private final int maxBatch;
  private final SecondOrderRule[] rules;
  final BatchSet<Curvature.BatchCache32> data;  // the batches: the first ones cached, the others streamed
  private final org.hesse.nn.Mode mode;
  private double loss;
  private double[] gradient;

  private Float32Curvature(Objective obj, double[] theta, double[] buffers, org.hesse.nn.Mode mode, int cached) {
    this.mode = mode;
    this.net = obj.network();
    this.theta = theta.clone();
    this.thetaF = new float[theta.length];
    this.slotsF = net.shared() ? new float[net.slotCount()] : thetaF;
    this.samples = obj.samples();
    this.maxBatch = obj.batchSize();
    this.rules = new SecondOrderRule[net.nodeCount()];
    for (Node n : net.nodes()) rules[n.index] = SecondOrderRules.of(n.op);
    int tw = net.loss().targetWidth(net.outputSize());
    int in = net.inputSize();
    this.data = new BatchSet<>(obj, cached, new BatchSet.Caches<>() {
      @Override public Curvature.BatchCache32 create(int rows, Curvature.BatchCache32 sharing) {
        if (sharing != null) return new Curvature.BatchCache32(rows, sharing.y, sharing.ws, net, slotsF);
        Workspace32 ws = net.newWorkspace32(rows).mode(mode);
        if (buffers != null) ws.buffers(buffers);
        return new Curvature.BatchCache32(rows, new double[rows * tw], ws, net, slotsF);
      }

      @Override public void load(Curvature.BatchCache32 c, double[] x, int xFrom, double[] y, int yFrom) {
        float[] input = c.ws.input();
        for (int i = 0; i < c.rows * in; i++) input[i] = (float) x[xFrom + i];
        System.arraycopy(y, yFrom, c.y, 0, c.rows * tw);
      }

      @Override public double forward(Curvature.BatchCache32 b) {
        double l = net.lossAndSignals(thetaF, b.ws, b.y, b.rows, 1.0 / samples);
        for (int j = 0; j < rules.length; j++) b.primal[j].prep = rules[j].prepare(b.primal[j], b.primal[j].prep);
        return l;
      }
    });
    recompute();
  }

  /**
   * Bytes of the float32 forward data this curvature keeps when it caches all {@code samples} samples
   * ({@link Curvature#cacheBytes(Network, long, Precision)} at F32: activations, signals and prepared values in float,
   * the targets in double).
   */
  public static long cacheBytes(Network net, long samples) {
    return Curvature.cacheBytes(net, samples, Precision.F32);
  }

  /**
   * The float32 curvature of {@code net} at {@code theta} on features x (row-major N × input) and targets y, in
   * contiguous batches of at most batchSize rows, as {@link Curvature#of(Network, double[], double[], double[], int)}.
   *
   * @throws InputException when a layer type has no float32 path
   */
  public static Float32Curvature of(Network net, double[] theta, double[] x, double[] y, int batchSize) {
    return of(net, theta, net.bufferCount() == 0 ? null : net.initialBuffers(), org.hesse.nn.Mode.ANALYSIS, x, y,
        batchSize);
  }

  /**
   * As above with the network's buffers (batch norm's running statistics, read in EVAL mode; float64) and the forward
   * mode, as {@link Curvature#of(Network, double[], double[], org.hesse.nn.Mode, double[], double[], int)}: TRAIN is
   * treated as ANALYSIS.
   */
  public static Float32Curvature of(Network net, double[] theta, double[] buffers, org.hesse.nn.Mode mode, double[] x,
                                    double[] y, int batchSize) {
    return of(net, theta, buffers, mode, x, y, batchSize, Curvature.CacheMode.fromSystemProperty());
  }

  /**
   * As above, choosing what is kept as {@link Curvature#of(Network, double[], double[], org.hesse.nn.Mode, double[],
   * double[], int, Curvature.CacheMode)} does (the same rule and batches, sized at float32): every batch, the first
   * that fit the memory budget with the others streamed, or none.
   */
  public static Float32Curvature of(Network net, double[] theta, double[] buffers, org.hesse.nn.Mode mode, double[] x,
                                    double[] y, int batchSize, Curvature.CacheMode cache) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    int expected = net.bufferCount();
    if (expected == 0 ? buffers != null && buffers.length > 0 : buffers == null || buffers.length != expected) {
      throw new IllegalArgumentException("buffers: expected " + expected + " values, got "
          + (buffers == null ? "none" : buffers.length));
    }
    requireFloat32(net);
    Objective obj = new Objective(net, x, y, batchSize);
    int cached = Curvature.cachedBatches(obj, cache, Precision.F32);
    return new Float32Curvature(obj, theta, buffers == null || buffers.length == 0 ? null : buffers.clone(),
        mode == org.hesse.nn.Mode.TRAIN ? org.hesse.nn.Mode.ANALYSIS : mode, cached);
  }

  /**
   * Refuses (one line, {@link InputException}) a network the float32 curvature does not run: a node whose layer
   * type or second-order rules have no float32 twins (naming the type).
   */
  public static void requireFloat32(Network net) {
    for (Node n : net.nodes()) {
      if (!n.op.float32() || !SecondOrderRules.of(n.op).float32()) throw Precision.noFloat32(n.op.type());
    }
  }

  /** Moves to new parameters on the same data (every cached quantity recomputed in place). */
  public void update(double[] theta) {
    if (theta.length != this.theta.length) {
      throw new IllegalArgumentException("parameters: expected " + this.theta.length + " values, got " + theta.length);
    }
    System.arraycopy(theta, 0, this.theta, 0, theta.length);
    thetaStale = false;
    recompute();
  }

  /**
   * Moves to float parameters (a float32 model's own θ) on the same data: taken as they are, so no rounding pass;
   * the same state as {@link #update(double[])} with θ widened.
   */
  public void update(float[] theta) {
    if (theta.length != this.theta.length) {
      throw new IllegalArgumentException("parameters: expected " + this.theta.length + " values, got " + theta.length);
    }
    System.arraycopy(theta, 0, thetaF, 0, theta.length);
    thetaStale = true;
    recomputeRounded();
  }

  private void recompute() {
    Precision.round(theta, thetaF);
    recomputeRounded();
  }

  /** Everything θ determines, from thetaF. */
  private void recomputeRounded() {
    if (net.shared()) net.expand(thetaF, 0, slotsF, 0);
    loss = data.recompute();
    gradient = null;
  }

  public Network network() { return net; }

  public int samples() { return samples; }

  public int batchSize() { return maxBatch; }

  /** Calls f on every batch in order, the streamed ones recomputed ({@link BatchSet#forEach}). */
  void forEachBatch(BatchSet.Visitor<Curvature.BatchCache32> f) {
    data.forEach(f);
  }

  /** Number of batches the data set is split into. */
  public int batches() { return data.count(); }

  /** How many batches are cached (the first ones); the others are streamed. */
  public int cachedBatches() { return data.cached(); }

  /** {@link Curvature#cacheProvenance(String, long, long, long)} of this curvature (sizes at float32). */
  public java.util.Map<String, Object> cacheProvenance(String option) {
    return Curvature.cacheProvenance(option, data.cached(), data.count(), cacheBytes(net, samples));
  }

  /** The mean loss at θ (float forward, float64 loss). */
  public double loss() { return loss; }

  /** The parameters (a copy). */
  public synchronized double[] parameters() {
    if (thetaStale) {
      for (int i = 0; i < theta.length; i++) theta[i] = thetaF[i];
      thetaStale = false;
    }
    return theta.clone();
  }

  /**
   * The gradient of the mean loss (float per batch, summed over batches in double; a copy), from the signals each
   * cached batch holds ({@link Network#addParameterGradient}'s twin), as the float64 {@link Curvature#gradient}.
   */
  public synchronized double[] gradient() {
    if (gradient == null) {
      double[] g = new double[theta.length];
      float[] gb = new float[theta.length];
      forEachBatch((bi, b) -> {
        Arrays.fill(gb, 0f);
        net.addParameterGradient(thetaF, b.ws, b.rows, gb);
        for (int i = 0; i < g.length; i++) g[i] += gb[i];
      });
      gradient = g;
    }
    return gradient.clone();
  }

  /**
   * An operator of this curvature on float vectors as well as double ones: a float32 model's direction v goes in as
   * it is and its product comes out in float, without the double interface's rounding of v and widening of Hv (three
   * passes over the parameters). The float product is the double interface's product at the widened direction,
   * rounded to float once (the sum over several batches stays float64 until then).
   */
  public interface FloatOperator extends LinearOperator {
    /** y = A x (x and y may be the same array). */
    void apply(float[] x, float[] y);

    /** k columns at once, column-major as {@link LinearOperator#applyMany}. */
    void applyMany(float[] x, float[] y, int k);
  }

  /** The full Hessian or GGN as an operator on all parameters (double or float vectors, float passes). */
  public FloatOperator full(Curvature.Kind kind) {
    return new Operator(kind, net.parametrisedLayers());
  }

  /** The diagonal block of layer l (the truncated pass). */
  public FloatOperator block(Curvature.Kind kind, int layer) {
    if (layer < 0 || layer >= net.depth() || net.blockSize(layer) == 0) {
      throw new IllegalArgumentException("layer " + layer + " has no parameters; layers with parameters: "
          + net.parametrisedLayers());
    }
    return new Operator(kind, List.of(layer));
  }

  /** A pass with tangent buffers for activations {@code lowest} and up. */
  private TangentPass32 newPass(int lowest) {
    return new TangentPass32(net, rules, maxBatch, samples, lowest);
  }

  /**
   * The passes of {@link DenseLayerTrace} in float32, as the float64 ones ({@code Curvature#activationPass} from a
   * node's output back to it): the direction rounded to float, the float64 loss Hessian at the top, widened.
   */
  DenseLayerTrace.OutputPasses outputPasses() {
    return new DenseLayerTrace.OutputPasses() {
      @Override public Network network() { return net; }

      @Override public int samples() { return samples; }

      @Override public int batchSize() { return maxBatch; }

      @Override public boolean perSampleDefined() { return !net.batchCoupled() || mode == org.hesse.nn.Mode.EVAL; }

      @Override public void forEachBatch(Curvature.Kind kind, int node, int k, DenseLayerTrace.BatchVisitor f) {
        Node n = net.node(node);
        int in = net.activationWidth(n.input(0));
        int a = n.output();
        int last = net.outputActivation() - 1;
        boolean gn = kind == Curvature.Kind.GGN;
        TangentPass32 pass = newPass(a);  // the passes start and end at the layer output
        int m = maxBatch * k * net.activationWidth(a);
        float[] uf = new float[m];
        float[] muf = new float[m];
        double[] sq = new double[maxBatch];
        Float32Curvature.this.forEachBatch((bi, b) -> {
          squaredNorms(b.ws.activation(n.input(0)), b.rows, in, sq);
          int rows = b.rows * k * net.activationWidth(a);
          f.visit(bi * maxBatch, b.rows, sq, (u, mu) -> {
            Precision.round(u, uf);
            pass.run(b, k, null, a, uf, last, true, null, a, a, muf, gn);
            for (int i = 0; i < rows; i++) mu[i] = muf[i];
          });
        });
      }

      @Override public void forEachJacobianBatch(int node, DenseLayerTrace.JacobianVisitor f) {
        // OutputJacobianBlock.jacobianRows on float tangents: C unit tangents at the output, back to the layer output
        Node n = net.node(node);
        int in = net.activationWidth(n.input(0));
        int a = n.output();
        int outputs = net.outputSize();
        int topAct = net.outputActivation();
        int width = outputs * net.activationWidth(a);
        TangentPass32 pass = newPass(a);
        float[] unit = new float[maxBatch * outputs * outputs];
        float[] rowsF = new float[maxBatch * width];
        double[] rows = new double[maxBatch * width];
        double[] output = new double[maxBatch * outputs];
        double[] sq = new double[maxBatch];
        Float32Curvature.this.forEachBatch((bi, b) -> {
          squaredNorms(b.ws.activation(n.input(0)), b.rows, in, sq);
          java.util.Arrays.fill(unit, 0, b.rows * outputs * outputs, 0f);
          for (int s = 0; s < b.rows; s++) for (int j = 0; j < outputs; j++) unit[(s * outputs + j) * outputs + j] = 1f;
          pass.run(b, outputs, null, topAct, unit, topAct - 1, false, null, a, a, rowsF, true);
          for (int i = 0; i < b.rows * width; i++) rows[i] = rowsF[i];
          float[] z = b.ws.activation(topAct);
          for (int i = 0; i < b.rows * outputs; i++) output[i] = z[i];
          f.visit(bi * maxBatch, b.rows, sq, rows, output, b.y);
        });
      }
    };
  }

  /** sq[s] = ‖row s of x‖² in double (rows × width): DenseLayerTrace's weights w_s = sq[s] + 1 from float inputs. */
  private static void squaredNorms(float[] x, int rows, int width, double[] sq) {
    for (int s = 0; s < rows; s++) {
      double w = 0;
      for (int j = s * width; j < (s + 1) * width; j++) w += (double) x[j] * x[j];
      sq[s] = w;
    }
  }

  /** A square block over some layers: directions and products on their parameters, the passes of TangentPass32. */
  private final class Operator implements FloatOperator {
    private final boolean gn;
    private final int dim;
    private final int low;  // the first node of the block: the backward tangent stops here
    private final int[] blockOffset;  // per node, the offset of its parameters inside a vector, or −1
    private final TangentPass32 pass = newPass(0);
    private final View32[] v;
    private final View32[] hv;
    private final int[] pos;  // shared tensors: per slot the position of its parameter in a vector, or −1
    private float[] xf;  // k directions and products: the vectors' layout, or with shared tensors the slots'
    private float[] yf;
    private double[] yd;  // shared tensors: the products summed back over the uses, over the batches
    private double[] sum;  // float products of several batches: their sum in double, before rounding
    private int capacity;

    Operator(Curvature.Kind kind, List<Integer> layers) {
      gn = kind == Curvature.Kind.GGN;
      blockOffset = new int[net.nodeCount()];
      Arrays.fill(blockOffset, -1);
      int d = 0;
      int lo = net.nodeCount();
      for (int l : layers) {
        lo = Math.min(lo, net.firstNode(l));
        for (int j = net.firstNode(l); j <= net.lastNode(l); j++) {
          Node n = net.node(j);
          if (n.op.paramCount() > 0) blockOffset[j] = d + n.paramOffset - net.offset(l);
        }
        d += net.blockSize(l);
      }
      dim = d;
      v = new View32[net.nodeCount()];
      hv = new View32[net.nodeCount()];
      if (net.shared()) {  // the nodes using a tensor of the block may come before it
        int[] inVector = new int[net.paramCount()];
        Arrays.fill(inVector, -1);
        d = 0;
        for (int l : layers) {
          for (int i = 0; i < net.blockSize(l); i++) inVector[net.offset(l) + i] = d + i;
          d += net.blockSize(l);
        }
        pos = new int[net.slotCount()];
        for (int sl = 0; sl < pos.length; sl++) pos[sl] = inVector[net.slotParam(sl)];
        for (Node n : net.nodes()) {
          for (int sl = n.paramOffset; sl < n.paramOffset + n.op.paramCount(); sl++) if (pos[sl] >= 0) lo = Math.min(lo, n.index);
        }
      } else {
        pos = null;
      }
      low = lo;
    }

    @Override public int dim() { return dim; }

    private void ensure(int k) {
      if (k <= capacity) return;
      if (pos != null) {
        int S = net.slotCount();
        xf = new float[k * S];
        yf = new float[k * S];
        yd = new double[k * dim];
        for (Node n : net.nodes()) {
          for (int sl = n.paramOffset; sl < n.paramOffset + n.op.paramCount(); sl++) {
            if (pos[sl] < 0) continue;
            v[n.index] = new View32(xf, n.paramOffset, S);
            hv[n.index] = new View32(yf, n.paramOffset, S);
          }
        }
      } else {
        xf = new float[k * dim];
        yf = new float[k * dim];
        for (int j = 0; j < net.nodeCount(); j++) {
          if (blockOffset[j] < 0) continue;
          v[j] = new View32(xf, blockOffset[j], dim);
          hv[j] = new View32(yf, blockOffset[j], dim);
        }
      }
      capacity = k;
    }

    @Override
    public void apply(double[] x, double[] y) {
      applyMany(x, y, 1);
    }

    @Override
    public void applyMany(double[] x, double[] y, int k) {
      LinearOperator.checkMany(x, y, k, dim, dim);
      ensure(k);
      int top = net.outputActivation() - 1;
      if (pos != null) {
        applyShared(x, y, k, top);
        return;
      }
      int n = k * dim;
      for (int i = 0; i < n; i++) xf[i] = (float) x[i];
      // The first batch's product is widened into y, the others added: no pass to zero y (one batch, as at
      // batch = N, is then one widening).
      forEachBatch((bi, b) -> {
        Arrays.fill(yf, 0, n, 0f);
        pass.run(b, k, v, -1, null, top, true, hv, low, -1, null, gn);
        if (bi == 0) {
          for (int i = 0; i < n; i++) y[i] = yf[i];
        } else {
          for (int i = 0; i < n; i++) y[i] += yf[i];
        }
      });
    }

    @Override
    public void apply(float[] x, float[] y) {
      applyMany(x, y, 1);
    }

    @Override
    public void applyMany(float[] x, float[] y, int k) {
      LinearOperator.checkMany(x, y, k, dim, dim);
      ensure(k);
      int top = net.outputActivation() - 1;
      if (pos != null) {  // shared tensors: the double route (the products are summed over the uses in double there)
        double[] xd = new double[k * dim];
        for (int i = 0; i < xd.length; i++) xd[i] = x[i];
        applyShared(xd, xd, k, top);
        for (int i = 0; i < xd.length; i++) y[i] = (float) xd[i];
        return;
      }
      int m = k * dim;
      // The passes read the direction where the caller holds it (a copy only when y is x: y is zeroed below).
      View32[] vx = v;
      if (x != y) {
        vx = new View32[v.length];
        for (int j = 0; j < v.length; j++) if (v[j] != null) vx[j] = new View32(x, blockOffset[j], dim);
      } else {
        System.arraycopy(x, 0, xf, 0, m);
      }
      View32[] src = vx;
      if (batches() == 1) {  // the batch's float product is the answer: written straight into y
        View32[] vy = new View32[hv.length];
        for (int j = 0; j < hv.length; j++) if (hv[j] != null) vy[j] = new View32(y, blockOffset[j], dim);
        Arrays.fill(y, 0, m, 0f);
        forEachBatch((bi, b) -> pass.run(b, k, src, -1, null, top, true, vy, low, -1, null, gn));
        return;
      }
      if (sum == null || sum.length < m) sum = new double[m];
      double[] s = sum;
      Arrays.fill(s, 0, m, 0.0);
      forEachBatch((bi, b) -> {
        Arrays.fill(yf, 0, m, 0f);
        pass.run(b, k, src, -1, null, top, true, hv, low, -1, null, gn);
        for (int i = 0; i < m; i++) s[i] += yf[i];
      });
      for (int i = 0; i < m; i++) y[i] = (float) s[i];
    }

    /** With shared tensors: E x on the slots, the passes, Eᵀ of each batch's slot products (x may be y). */
    private void applyShared(double[] x, double[] y, int k, int top) {
      int S = net.slotCount();
      for (int j = 0; j < k; j++) {
        for (int sl = 0; sl < S; sl++) xf[j * S + sl] = pos[sl] >= 0 ? (float) x[j * dim + pos[sl]] : 0f;
      }
      Arrays.fill(yd, 0, k * dim, 0.0);
      forEachBatch((bi, b) -> {
        Arrays.fill(yf, 0, k * S, 0f);
        pass.run(b, k, v, -1, null, top, true, hv, low, -1, null, gn);
        for (int j = 0; j < k; j++) {
          for (int sl = 0; sl < S; sl++) if (pos[sl] >= 0) yd[j * dim + pos[sl]] += yf[j * S + sl];
        }
      });
      System.arraycopy(yd, 0, y, 0, k * dim);
    }
  }
}
