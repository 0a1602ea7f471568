package org.hesse.hvp.curvature;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.rules.Primal;
import org.hesse.hvp.rules.Primal32;  // the generated BatchCache32
import org.hesse.hvp.rules.SecondOrderRule;
import org.hesse.hvp.rules.SecondOrderRules;
import org.hesse.hvp.rules.View;
import org.hesse.nn.Layer;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.nn.Node;
import org.hesse.nn.Objective;
import org.hesse.nn.Workspace;
import org.hesse.nn.Workspace32;
import org.hesse.precision.Float32Twin;
import org.hesse.precision.Precision;

/**
 * Curvature of the mean loss {@code L(θ) = (1/N) Σ_n ℓ_n} of a network at fixed weights over a fixed data
 * set. Built once: the forward activations, the first-order gradient signals and each rule's per-batch
 * quantities (σ', σ'') are computed for every batch here and reused by every product, so an operator
 * application costs only the tangent passes. Batches are contiguous rows of at most {@code batchSize}
 * (the last one partial); every sample carries the weight 1/N, as in {@link Objective}.
 *
 * <p>Streaming ({@link CacheMode}): when the cached data of all N samples would exceed the memory budget (or when
 * asked), only the first batches that fit the budget are kept (none when asked); every product recomputes each
 * other batch's forward, signals and prepared quantities in a workspace it borrows for the pass (one per concurrent
 * product), so memory is bounded by the budget (plus the data themselves) and a product costs about one
 * forward-backward more per streamed batch. The batches, and so the numbers, are the same in every mode.
 *
 * <p>{@link #update} moves it to new parameters on the same data, recomputing all of the above in the buffers it
 * already has (a training loop, a sequence of checkpoints): the operators it handed out then act at the new
 * parameters.
 *
 * <p>Thread-safety: between updates a {@code Curvature} does not change; each operator it hands out owns its
 * tangent buffers, so use one operator per thread, and do not update while a product runs.
 */
public final class Curvature {
  /** Which second-order object: the exact Hessian or the generalised Gauss-Newton matrix. */
  public enum Kind {
    HESSIAN("hessian"), GGN("ggn");

    public final String id;

    Kind(String id) {
      this.id = id;
    }
  }

  /**
   * Which forward data a curvature keeps: {@link #ALL} batches (a product costs only the tangent passes; refused
   * when {@link #cacheBytes} exceeds the memory budget), {@link #NONE} (streaming: each product recomputes every
   * batch's forward in a borrowed workspace), or {@link #AUTO}: the first batches whose cache fits the memory budget
   * (all when all fit), streaming the rest ({@link #planBytes}).
   */
  public enum CacheMode {
    AUTO("auto"), ALL("all"), NONE("none");

    public final String id;

    CacheMode(String id) {
      this.id = id;
    }

    /** The system property that sets the mode of the factories that take none (default auto). */
    public static final String PROPERTY = "hesse.curvature.cache";

    /** The mode of {@link #PROPERTY}, auto when unset. */
    public static CacheMode fromSystemProperty() {
      return parse(System.getProperty(PROPERTY, AUTO.id), "system property " + PROPERTY);
    }

    /** The mode named {@code id} (auto, all, none); {@code what} names the input in the error. */
    public static CacheMode parse(String id, String what) {
      for (CacheMode m : values()) if (m.id.equals(id)) return m;
      throw new IllegalArgumentException(what + ": unknown curvature cache '" + id + "', expected auto, all or none");
    }
  }

  final Network net;
  final double[] theta;
  final double[] slots;  // θ expanded to the nodes' slots (θ itself when nothing is shared): what the rules read
  final int samples;
  final int maxBatch;
  final SecondOrderRule[] rules;
  final BatchSet<BatchCache> data;  // the batches: the first ones cached, the others streamed
  private double loss;
  private double[] gradient;  // computed on first request: products do not need it

  /**
   * What one batch's products need, computed once per parameters: its workspace's activations and signals
   * (the workspace is the cache: no copies) and per node the rule's view of it ({@link Primal}, with the prepared
   * quantities). Its float32 twin {@code BatchCache32} holds a float workspace; the targets stay float64.
   */
  @Float32Twin
  static final class BatchCache {
    final int rows;
    @Float32Twin.Keep final double[] y;
    final Workspace ws;
    final Primal[] primal;

    BatchCache(int rows, @Float32Twin.Keep double[] y, Workspace ws, Network net, double[] theta) {
      this.rows = rows;
      this.y = y;
      this.ws = ws;
      this.primal = new Primal[net.nodeCount()];
      for (Node n : net.nodes()) {
        primal[n.index] = new Primal(n.op, ws.context(n.index), theta, n.paramOffset, ws.nodeInputs(n.index),
            ws.activation(n.output()), ws.signal(n.output()), rows);
      }
    }
  }

  final Mode mode;
  final double[] buffers;

  private Curvature(Objective obj, double[] theta, double[] buffers, Mode mode, int cached) {
    this.net = obj.network();
    this.theta = theta.clone();
    this.slots = net.shared() ? new double[net.slotCount()] : this.theta;
    this.samples = obj.samples();
    this.maxBatch = obj.batchSize();
    this.rules = new SecondOrderRule[net.nodeCount()];
    for (Node n : net.nodes()) rules[n.index] = SecondOrderRules.of(n.op);
    this.mode = mode;
    this.buffers = buffers == null || buffers.length == 0 ? null : buffers.clone();
    this.data = new BatchSet<>(obj, cached, new BatchSet.Caches<>() {
      @Override public BatchCache create(int rows, BatchCache sharing) {
        Workspace ws = sharing != null ? sharing.ws : net.newWorkspace(rows).mode(Curvature.this.mode);
        if (sharing == null && Curvature.this.buffers != null) ws.buffers(Curvature.this.buffers);
        double[] y = sharing != null ? sharing.y : new double[rows * net.loss().targetWidth(net.outputSize())];
        return new BatchCache(rows, y, ws, net, slots);
      }

      @Override public void load(BatchCache c, double[] x, int xFrom, double[] y, int yFrom) {
        System.arraycopy(x, xFrom, c.ws.input(), 0, c.rows * net.inputSize());
        System.arraycopy(y, yFrom, c.y, 0, c.rows * net.loss().targetWidth(net.outputSize()));
      }

      @Override public double forward(BatchCache c) { return Curvature.this.forward(c); }
    });
    recompute();
  }

  /**
   * Forward, signals and prepared quantities of every cached batch at the current θ and buffers, then (streamed
   * batches) one pass over the others for the loss, in batch order; products recompute the rest.
   */
  private void recompute() {
    if (net.shared()) net.expand(theta, 0, slots, 0);
    loss = data.recompute();
    gradient = null;
  }

  /** Batch b's forward and signals in its workspace (input and targets loaded), then each rule's preparation. */
  private double forward(BatchCache b) {
    double l = net.lossAndSignals(theta, b.ws, b.y, b.rows, 1.0 / samples);
    for (int j = 0; j < rules.length; j++) b.primal[j].prep = rules[j].prepare(b.primal[j], b.primal[j].prep);
    return l;
  }

  /** What a loop over the batches does with one: batch b (its rows start at b · batchSize) and its cache. */
  interface BatchVisitor extends BatchSet.Visitor<BatchCache> {
  }

  /**
   * Calls f on every batch in order: the cached batches, then the streamed ones, each recomputed in a workspace
   * borrowed for the loop ({@link BatchSet#forEach}). Every product's loop over the data goes through here, so every
   * mode sums the same batches in the same order.
   */
  void forEachBatch(BatchVisitor f) {
    data.forEach(f);
  }

  /** f on batch b's cache (streaming: recomputed in a borrowed workspace unless it holds b already). */
  <T> T withBatch(int b, Function<BatchCache, T> f) {
    return data.with(b, f);
  }

  /**
   * Moves this curvature to parameters {@code theta} (same network, data, batches, mode and buffers): the forward
   * data, signals and per-batch quantities are recomputed in place, in the arrays they occupy (the rules refill
   * theirs). Operators from {@link #full}, {@link #block} and {@link #jacobianGram}, and a {@code BackMatching}
   * on this curvature, act at the new parameters afterwards; what was computed from the old ones (dense blocks,
   * activation-space blocks, spectra) keeps the old values. The sizes are checked before anything changes; the
   * recomputation repeats passes that succeeded on these batches at construction. Not while a product runs.
   */
  public void update(double[] theta) {
    update(theta, buffers);
  }

  /** As {@link #update(double[])}, with new buffers too (e.g. the running statistics at a new checkpoint). */
  public synchronized void update(double[] theta, double[] buffers) {
    checkSizes(net, theta, buffers);
    System.arraycopy(theta, 0, this.theta, 0, theta.length);
    if (this.buffers != null && buffers != this.buffers) System.arraycopy(buffers, 0, this.buffers, 0, buffers.length);
    recompute();
  }

  /**
   * As {@link #update(double[])}, on new data of the same size too (features row-major N × input and targets, N the
   * samples it has; the same batches): a training loop looking at each step's mini-batch reuses every buffer. The
   * data are checked before anything changes.
   */
  public synchronized void update(double[] theta, double[] x, double[] y) {
    checkSizes(net, theta, buffers);
    Objective obj = new Objective(net, x, y, maxBatch);  // checks the lengths and the targets
    if (obj.samples() != samples) {
      throw new IllegalArgumentException("data: expected " + samples + " samples (the curvature's), got " + obj.samples());
    }
    data.load(x, y);
    System.arraycopy(theta, 0, this.theta, 0, theta.length);
    recompute();
  }

  /**
   * Curvature of {@code net} at {@code theta} on features x (row-major N × input) and targets y, in
   * contiguous batches of at most batchSize rows.
   */
  public static Curvature of(Network net, double[] theta, double[] x, double[] y, int batchSize) {
    return of(net, theta, net.bufferCount() == 0 ? null : net.initialBuffers(), Mode.ANALYSIS, x, y, batchSize);
  }

  /**
   * As above with the network's buffers (e.g. BN running statistics, used in EVAL mode) and the forward mode.
   * In {@link Mode#ANALYSIS} and {@link Mode#TRAIN} batch normalisation uses each batch's statistics, so the
   * curvature depends on the batch partition: contiguous rows, batchSize at a time, the last batch partial.
   * TRAIN is treated as ANALYSIS (no running-statistics update, no dropout) so that the operator is a fixed
   * matrix. What is cached: {@link CacheMode#fromSystemProperty} (auto unless set).
   */
  public static Curvature of(Network net, double[] theta, double[] buffers, Mode mode, double[] x, double[] y,
                             int batchSize) {
    return of(net, theta, buffers, mode, x, y, batchSize, CacheMode.fromSystemProperty());
  }

  /**
   * As above, choosing what is kept: {@link CacheMode#ALL} refuses data whose cache ({@link #cacheBytes}) exceeds the
   * memory budget, {@link CacheMode#AUTO} caches the first batches that fit and streams the others instead
   * ({@link #autoCachedBatches}), {@link CacheMode#NONE} always streams; AUTO and NONE refuse when even streaming
   * everything ({@link #planBytes} with no cached batch) exceeds the budget.
   */
  public static Curvature of(Network net, double[] theta, double[] buffers, Mode mode, double[] x, double[] y,
                             int batchSize, CacheMode cache) {
    Objective obj = new Objective(net, x, y, batchSize);
    int cached = cachedBatches(obj, cache, Precision.F64);
    checkSizes(net, theta, buffers);
    return new Curvature(obj, theta, buffers, mode == Mode.TRAIN ? Mode.ANALYSIS : mode, cached);
  }

  /**
   * How many of obj's batches a curvature of that precision caches under the memory budget, as {@link CacheMode}
   * says (the rule of {@link #of(Network, double[], double[], Mode, double[], double[], int, CacheMode)}, for both
   * precisions): ALL refuses a cache over the budget, AUTO caches what fits, and a plan that streams every batch is
   * refused when even that exceeds the budget.
   */
  static int cachedBatches(Objective obj, CacheMode cache, Precision precision) {
    Network net = obj.network();
    String data = (precision == Precision.F32 ? "float32 " : "") + "forward data";
    org.hesse.runtime.MemoryBudget budget = org.hesse.runtime.MemoryBudget.current();
    if (cache == CacheMode.ALL) {
      budget.check(cacheBytes(net, obj.samples(), precision), "cached " + data + " of " + obj.samples() + " samples");
    }
    int workers = org.hesse.runtime.ThreadPolicy.current().javaWorkers();
    int cached = cache == CacheMode.ALL ? obj.batches() : cache == CacheMode.NONE ? 0
        : autoCachedBatches(net, obj.samples(), obj.batchSize(), budget.bytes(), workers, precision);
    if (cached == 0) {
      // streaming everything still holds the data and one batch's workspace per worker: refused, as ALL is, when
      // even that exceeds the budget (e.g. one batch of all N rows), rather than running out of memory
      budget.check(planBytes(net, obj.samples(), obj.batchSize(), 0, workers, precision),
          "streamed curvature of " + obj.samples() + " samples (the data and one batch's workspace per worker)");
    }
    return cached;
  }

  /**
   * How many batches {@link CacheMode#AUTO} caches: all when {@link #cacheBytes} of the N samples fits the budget,
   * else the largest B whose {@link #planBytes} does (0 when none does; {@link #of} refuses a streamed plan that
   * does not fit either).
   */
  static int autoCachedBatches(Network net, int samples, int batchSize, long budget, int workspaces, Precision precision) {
    int count = (samples + batchSize - 1) / batchSize;
    for (int b = count; b > 0; b--) {
      if (planBytes(net, samples, batchSize, b, workspaces, precision) <= budget) return b;
    }
    return 0;
  }

  /** {@link #planBytes(Network, int, int, int, int, Precision)} of the float64 curvature. */
  public static long planBytes(Network net, int samples, int batchSize, int cachedBatches, int workspaces) {
    return planBytes(net, samples, batchSize, cachedBatches, workspaces, Precision.F64);
  }

  /**
   * Bytes a curvature on N samples keeps when it caches the first {@code cachedBatches} batches and streams the
   * others: the cached batches' {@link #cacheBytes}; when some stream, the copy of their features and targets
   * (float64 in both precisions) and, per concurrent product, one borrowed workspace ({@link #cacheBytes} of one
   * batch).
   */
  public static long planBytes(Network net, int samples, int batchSize, int cachedBatches, int workspaces,
                               Precision precision) {
    long cachedSamples = Math.min(samples, (long) cachedBatches * batchSize);
    long bytes = cacheBytes(net, cachedSamples, precision);
    if (cachedSamples == samples) return bytes;
    long dataPerSample = 8L * (net.inputSize() + net.loss().targetWidth(net.outputSize()));
    return bytes + dataPerSample * (samples - cachedSamples)
        + workspaces * cacheBytes(net, Math.min(batchSize, samples), precision);
  }

  private static void checkSizes(Network net, double[] theta, double[] buffers) {
    if (theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got " + theta.length);
    }
    int expected = net.bufferCount();
    boolean ok = expected == 0 ? buffers == null || buffers.length == 0 : buffers != null && buffers.length == expected;
    if (!ok) {
      throw new IllegalArgumentException("buffers: expected " + net.bufferCount() + " values, got "
          + (buffers == null ? "none" : buffers.length));
    }
  }

  /**
   * What ran: "all" (every batch's forward data kept), "none" (streaming: each product recomputes every batch's) or
   * "partial" ({@link #cachedBatches} kept, the others streamed).
   */
  public String ran() { return ran(data.cached(), data.count()); }

  private static String ran(long cached, long batches) {
    return cached == batches ? "all" : cached == 0 ? "none" : "partial";
  }

  /**
   * A report's {@code curvature_cache} provenance, one shape wherever batches are cached (this class, the float32
   * curvature, Spark's partitions): the option given (left out when null), what ran (all, none: streaming, or partial)
   * with the cached batches of all, and the estimated size of caching all.
   */
  public static java.util.Map<String, Object> cacheProvenance(String option, long cachedBatches, long batches,
                                                              long estimatedBytesAll) {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    if (option != null) m.put("option", option);
    m.put("ran", ran(cachedBatches, batches));
    m.put("cached_batches", cachedBatches);
    m.put("batches", batches);
    m.put("estimated_bytes_all", estimatedBytesAll);
    return m;
  }

  /** {@link #cacheProvenance(String, long, long, long)} of this curvature. */
  public java.util.Map<String, Object> cacheProvenance(String option) {
    return cacheProvenance(option, data.cached(), data.count(), cacheBytes(net, samples));
  }

  /** How many batches are cached (the first ones); the others are streamed. */
  public int cachedBatches() { return data.cached(); }

  /** The forward mode of the cached passes. */
  public Mode mode() { return mode; }

  /** The buffers the forward passes used (a copy; null when the network has none). */
  public double[] buffers() { return buffers == null ? null : buffers.clone(); }

  /**
   * Bytes the cached forward data of N samples take ({@link CacheMode#ALL}): every graph activation and its gradient
   * signal (none at the input), the targets, and what each node's rule prepares
   * ({@link org.hesse.nn.Layer#preparedValuesPerSample}). Not counted: what is per batch rather than per sample (the
   * nodes' context state, e.g. a convolution's patch buffer, batch norm's per-channel 1/σ) and object headers.
   * Streaming ({@link CacheMode#NONE}) keeps the features and targets and one batch's worth of the rest per
   * concurrent product instead; a partial cache, {@link #planBytes}.
   */
  public static long cacheBytes(Network net, long samples) {
    return cacheBytes(net, samples, Precision.F64);
  }

  /**
   * As above in a precision: the activations, signals and prepared values take {@link Precision#bytes} each, the
   * targets stay float64 (so do a few prepared values, layer norm's per-row 1/σ: counted at the precision's size).
   */
  public static long cacheBytes(Network net, long samples, Precision precision) {
    long values = net.activationWidth(0);
    for (int a = 1; a <= net.nodeCount(); a++) values += 2L * net.activationWidth(a);
    for (Node n : net.nodes()) values += n.op.preparedValuesPerSample();
    long targets = net.loss().targetWidth(net.outputSize());
    return (precision.bytes * values + 8L * targets) * samples;
  }

  public Network network() { return net; }
  public int samples() { return samples; }

  /** Counts the recomputations ({@link #update}): what was formed from the forward data at another count is stale. */
  long generation() { return data.generation(); }
  public int batchSize() { return maxBatch; }

  /** The mean loss at θ. */
  public double loss() { return loss; }

  /**
   * The gradient of the mean loss at θ (a copy). The first call adds each batch's parameter gradient from the
   * signals its forward data hold ({@link Network#addParameterGradient}; streamed batches recomputed as for a
   * product), in batch order: the numbers of a separate gradient pass, without its forward.
   */
  public synchronized double[] gradient() {
    if (gradient == null) {
      double[] g = new double[net.paramCount()];
      forEachBatch((b, c) -> net.addParameterGradient(theta, c.ws, c.rows, g));
      gradient = g;
    }
    return gradient.clone();
  }

  /** The parameters (a copy). */
  public double[] parameters() { return theta.clone(); }

  /**
   * What is not exact in this curvature's Hessian products, one line per node whose rule approximates a term (an
   * external op without its second derivative, whose VJP is differenced: {@code org.hesse.hvp.external.ExternalOp});
   * empty when every product is exact up to rounding. Such a term enters the products whose backward pass reaches
   * the node: the full Hessian and blocks of layers before it, not blocks of layers after it nor any GGN product.
   */
  public List<String> approximations() {
    List<String> out = new ArrayList<>();
    for (Node n : net.nodes()) {
      String a = rules[n.index].approximation(n.op);
      if (a != null) out.add("node '" + n.name + "': " + a);
    }
    return out;
  }

  /** The full Hessian or GGN as an operator on all parameters. */
  public CurvatureOperator full(Kind kind) {
    List<Integer> all = net.parametrisedLayers();
    return new CurvatureOperator(this, kind, all, all);
  }

  /** The diagonal block of layer l (weights then bias): the truncated pass, cheaper than a full product. */
  public CurvatureOperator block(Kind kind, int layer) {
    return block(kind, layer, layer);
  }

  /**
   * The block {@code ∂²L/∂θ_row ∂θ_col}: maps a direction on layer col's parameters to the product on layer
   * row's parameters (square only when row = col).
   */
  public CurvatureOperator block(Kind kind, int rowLayer, int colLayer) {
    checkLayer(rowLayer);
    checkLayer(colLayer);
    return new CurvatureOperator(this, kind, List.of(rowLayer), List.of(colLayer));
  }

  /**
   * Per-layer trace estimates from one full product: for a probe v (e.g. Rademacher),
   * {@code v_lᵀ (Hv)_l} is an unbiased estimate of tr(H_ll) for every layer l at once.
   * Returns one value per entry of {@link Network#parametrisedLayers()}.
   */
  public double[] layerQuadraticForms(Kind kind, double[] v) {
    CurvatureOperator op = full(kind);
    LinearOperator.checkMany(v, v, 1, op.rows(), op.cols());
    double[][] q = op.quadraticForms(v, 1);
    double[] out = new double[q.length];
    for (int i = 0; i < q.length; i++) out[i] = q[i][0];
    return out;
  }

  /**
   * The activation-space tangent pass on batch b: a tangent {@code dx} injected at graph activation {@code inject}
   * (rows·k × width, direction-minor) runs forward to the loss and back down to graph activation {@code read}
   * (produced at or before inject), where the tangent of the gradient signal is written to {@code out}. Parameters
   * are not perturbed. For read = inject this is {@code M_n · dx_n} per sample, M_n the back-propagated output
   * Hessian (or its GGN part), carrying the 1/N weight.
   */
  void activationPass(Kind kind, int inject, int read, BatchCache b, double[] dx, double[] out, int k, TangentPass pass) {
    if (read > inject) throw new IllegalArgumentException("read activation " + read + " after inject " + inject);
    int last = net.outputActivation() - 1;
    pass.run(b, k, null, inject, dx, last, true, null, read, read, out,
        kind == Kind.GGN);
  }

  /** Per node of layer k, the view of its parameters inside vectors holding layer k's block at {@code off} (stride). */
  View[] views(double[] a, int layer, int off, int stride, View[] into) {
    View[] v = into != null ? into : new View[net.nodeCount()];
    int base = net.node(net.firstNode(layer)).paramOffset;  // the layer's first slot (θ's offset unless shared)
    for (int j = net.firstNode(layer); j <= net.lastNode(layer); j++) {
      Node n = net.node(j);
      if (n.op.paramCount() > 0) v[j] = new View(a, off + n.paramOffset - base, stride);
    }
    return v;
  }

  /**
   * The Gauss-Newton matrix {@code (1/N) Σ_n J_θ,nᵀ J_θ,n} of layer k's own output with respect to its parameters
   * (the back-matching weight side), as an operator on the cached batches: the tangent pass restricted to the
   * layer's nodes, {@code dz = J_θ v} at its output, {@code J_θᵀ dz/N} back (GGN rules). Owns its buffers: one per
   * thread.
   */
  public LinearOperator jacobianGram(int layer) {
    checkLayer(layer);
    requireOwnTensors(layer, "the Jacobian Gram matrix of layer " + layer);
    int p = net.layer(layer).paramCount();
    TangentPass pass = new TangentPass(this);
    int first = net.firstNode(layer);
    int last = net.lastNode(layer);
    return new LinearOperator() {
      private double[] vArray;
      private double[] yArray;
      private View[] vViews;
      private View[] yViews;

      @Override public int dim() { return p; }

      @Override
      public void apply(double[] v, double[] y) {
        if (v.length != p || y.length != p) {
          throw new IllegalArgumentException("v, y: expected length " + p + ", got " + v.length + ", " + y.length);
        }
        if (v != vArray) vViews = views(vArray = v, layer, 0, p, null);
        if (y != yArray) yViews = views(yArray = y, layer, 0, p, null);
        Arrays.fill(y, 0.0);
        forEachBatch((i, b) -> pass.run(b, 1, vViews, -1, null, last, false, yViews, first, -1, null, true));
      }
    };
  }

  /** Whether per-sample second derivatives exist: no batch statistics couple a batch's samples. */
  boolean perSampleDefined() {
    return !net.batchCoupled() || mode == Mode.EVAL;
  }

  /**
   * Per-sample quantities (output Hessians M_n, per-sample activation blocks) inject the same tangent into every
   * sample of a batch at once, which is only valid when samples are not coupled: refuse batch norm outside EVAL.
   */
  void requirePerSample(String what) {
    if (!perSampleDefined()) {
      throw new IllegalArgumentException(what + ": the network couples the samples of a batch (batch norm with batch "
          + "statistics), so per-sample second derivatives are not defined; use EVAL mode (running statistics)");
    }
  }

  /** Copies the cached input of layer k for batch b into buf (rows × input width); returns the rows. */
  public int layerInput(int layer, int b, double[] buf) {
    int a = inputActivation(layer);
    return withBatch(b, bc -> {
      System.arraycopy(bc.ws.activation(a), 0, buf, 0, bc.rows * net.activationWidth(a));
      return bc.rows;
    });
  }

  /**
   * The activation layer k reads: its first node's input, which in a graph need not be the previous layer's output
   * (a dense node on a concatenation, or on an earlier activation). Refused for a node reading several.
   */
  private int inputActivation(int layer) {
    checkLayerIndex(layer);
    Node n = net.node(net.firstNode(layer));
    if (n.inputCount() != 1) {
      throw new IllegalArgumentException("layer " + layer + " (" + net.layer(layer).type() + ") reads "
          + n.inputCount() + " inputs; expected a layer with one input");
    }
    return n.input(0);
  }

  /**
   * Sample s's back-matching input side {@code (1/N) J_z,sᵀ J_z,s} of layer k (dense in × in): unit tangents at the
   * layer's input in sample s's row, the tangent pass over the layer's nodes, {@code J_zᵀ dz / N} back (GGN rules).
   */
  public double[] inputGram(int layer, int sample) {
    checkLayerIndex(layer);
    if (sample < 0 || sample >= samples) {
      throw new IllegalArgumentException("sample: expected 0.." + (samples - 1) + ", got " + sample);
    }
    int bi = sample / maxBatch;
    int s = sample - bi * maxBatch;
    int inAct = inputActivation(layer);
    int in = net.activationWidth(inAct);
    TangentPass pass = new TangentPass(this);
    return withBatch(bi, b -> {
      double[] dx = new double[b.rows * in];
      double[] out = new double[b.rows * in];
      double[] m = new double[in * in];
      for (int j = 0; j < in; j++) {
        dx[s * in + j] = 1;
        pass.run(b, 1, null, inAct, dx, net.lastNode(layer), false, null, net.firstNode(layer), inAct, out, true);
        dx[s * in + j] = 0;
        for (int i = 0; i < in; i++) m[i * in + j] = out[s * in + i];
      }
      return m;
    });
  }

  private void checkLayerIndex(int layer) {
    if (layer < 0 || layer >= net.depth()) {
      throw new IllegalArgumentException("layer: expected 0.." + (net.depth() - 1) + ", got " + layer);
    }
  }

  /** Number of batches the data set is split into. */
  public int batches() {
    return data.count();
  }

  /**
   * Quantities defined by one layer's own nodes and parameters (its Jacobian Gram matrix, its Kronecker factors) do
   * not exist for a layer whose nodes use another layer's tensor or whose tensor another layer uses: refuse it.
   */
  void requireOwnTensors(int layer, String what) {
    if (net.sharesTensors(layer)) {
      throw new IllegalArgumentException(what + ": layer " + net.layerName(layer) + " shares a tensor with another"
          + " layer, so its nodes and its block differ; expected a layer without shared tensors (the operators"
          + " full/block handle shared tensors)");
    }
  }

  private void checkLayer(int l) {
    if (l < 0 || l >= net.depth() || net.blockSize(l) == 0) {
      throw new IllegalArgumentException("layer " + l + " has no parameters; layers with parameters: "
          + net.parametrisedLayers());
    }
  }

  Layer layer(int k) {
    return net.layer(k);
  }

  // ---- generated float32 twins (tools/f32gen): do not edit ----

  static final class BatchCache32 {

    final int rows;

    @Float32Twin.Keep
    final double[] y;

    final Workspace32 ws;

    final Primal32[] primal;

    BatchCache32(int rows, @Float32Twin.Keep double[] y, Workspace32 ws, Network net, float[] theta) {
      this.rows = rows;
      this.y = y;
      this.ws = ws;
      this.primal = new Primal32[net.nodeCount()];
      for (Node n : net.nodes()) {
        primal[n.index] = new Primal32(n.op, ws.context(n.index), theta, n.paramOffset, ws.nodeInputs(n.index), ws.activation(n.output()), ws.signal(n.output()), rows);
      }
    }
  }
  // ---- end of generated float32 twins ----
}
