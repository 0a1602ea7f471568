package org.hesse.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;

/**
 * The curvature of the mean loss over a data set held as a Spark RDD: each partition keeps a {@link Curvature} of
 * its rows in the executor's memory, and a product is the row-weighted sum of the partitions' products,
 * {@code A x = Σ_p (n_p / N) A_p x} (A_p the mean over partition p's rows), computed by broadcasting x and summing
 * with treeAggregate. The eigen-solvers run on the driver over {@link #full} or {@link #block}, exactly as over a
 * local Curvature.
 *
 * <p>Faults: the cached partitions are rebuilt from their lineage (the rows, the model, the parameters and every
 * {@link #update} since, each of which sets absolute values) when an executor or a block is lost, so a product's
 * value does not depend on which attempt computed it.
 *
 * <p>Batch-coupled networks (batch norm with batch statistics) are refused: there the curvature depends on the
 * batch partition and is not a sum over rows. Use {@link Mode#EVAL} (running statistics) for them.
 */
public final class DistributedCurvature implements AutoCloseable {
  /** treeAggregate's depth: partitions are summed on executors in a tree of this depth before the driver adds. */
  static final int AGGREGATE_DEPTH = 2;

  private final JavaSparkContext jsc;
  private final Network net;
  private final int batchSize;
  private final Mode mode;
  private final List<Broadcast<?>> broadcasts = new ArrayList<>();
  private JavaRDD<PartitionCurvature> parts;
  private double[] theta;
  private long samples;
  private long[] firstRows;  // per partition, the index of its first row in the data set
  private double loss;
  private int streamingPartitions;
  private int filledPartitions;
  private long cachedBatches;
  private long batches;
  private double[] gradient;
  private long products;
  private long productNanos;

  private DistributedCurvature(JavaSparkContext jsc, Network net, int batchSize, Mode mode) {
    this.jsc = jsc;
    this.net = net;
    this.batchSize = batchSize;
    this.mode = mode;
  }

  /**
   * The curvature of {@code net} at {@code theta} (and buffers, null when the network has none) over the rows,
   * each partition in contiguous batches of at most batchSize rows. Builds and caches every partition's curvature
   * now (one Spark job). Each partition caches its batches' forward data as the executor's {@code hesse.curvature.cache}
   * says (auto when unset).
   */
  public static DistributedCurvature of(JavaRDD<RowBatch> rows, Network net, double[] theta, double[] buffers, Mode mode,
                                        int batchSize) {
    return of(rows, net, theta, buffers, mode, batchSize, null);
  }

  /**
   * As {@link #of(JavaRDD, Network, double[], double[], Mode, int)}, each partition's curvature with the given cache
   * mode (auto: as the executor's memory budget allows; null: the executor's {@code hesse.curvature.cache}).
   */
  public static DistributedCurvature of(JavaRDD<RowBatch> rows, Network net, double[] theta, double[] buffers, Mode mode,
                                        int batchSize, Curvature.CacheMode cache) {
    requireRowSeparable(net, mode);
    if (batchSize < 1) throw new IllegalArgumentException("batchSize: expected >= 1 rows, got " + batchSize);
    Mode m = mode == Mode.TRAIN ? Mode.ANALYSIS : mode;
    checkSizes(net, theta, buffers);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(rows.context());
    DistributedCurvature dc = new DistributedCurvature(jsc, net, batchSize, m);
    Broadcast<String> model = dc.remember(jsc.broadcast(ModelFiles.spec(net).toJson()));
    Broadcast<double[]> th = dc.remember(jsc.broadcast(theta.clone()));
    Broadcast<double[]> bu = dc.remember(jsc.broadcast(buffers == null ? new double[0] : buffers.clone()));
    int b = batchSize;
    JavaRDD<PartitionCurvature> built = rows.mapPartitions(it -> {
      List<RowBatch> list = new ArrayList<>();
      it.forEachRemaining(list::add);
      RowBatch all = list.isEmpty() ? new RowBatch(0, new double[0], new double[0]) : RowBatch.concat(list);
      return List.of(PartitionCurvature.build(all, model.value(), th.value(), bu.value(), m, b, cache)).iterator();
    }, true);
    dc.install(built, theta);
    return dc;
  }

  /**
   * Refuses networks whose curvature is not a sum over rows, in one line naming the cause and the way out.
   */
  static void requireRowSeparable(Network net, Mode mode) {
    if (net.batchCoupled() && mode != Mode.EVAL) {
      throw new IllegalArgumentException("--mode " + mode.name().toLowerCase(java.util.Locale.ROOT) + ": the network has batch "
          + "norm with batch statistics, which couples the rows of a batch, so its Hessian depends on the batch partition "
          + "and is not a sum over Spark partitions; use --mode eval (running statistics) or run on one machine");
    }
  }

  /**
   * Moves every partition's curvature to new parameters (same buffers), in place on the executors: the cached
   * forward data are recomputed, no rows are re-read.
   */
  public void update(double[] theta) {
    update(theta, null);
  }

  /** As {@link #update(double[])} with new buffers (null: keep the current ones). */
  public void update(double[] theta, double[] buffers) {
    checkSizes(net, theta, buffers == null ? currentBuffersShape() : buffers);
    Broadcast<double[]> th = remember(jsc.broadcast(theta.clone()));
    Broadcast<double[]> bu = buffers == null ? null : remember(jsc.broadcast(buffers.clone()));
    JavaRDD<PartitionCurvature> moved = parts.map(pc -> {
      pc.update(th.value(), bu == null ? keepBuffers(pc) : bu.value());
      return pc;
    });
    JavaRDD<PartitionCurvature> old = parts;
    install(moved, theta);
    old.unpersist(false);
  }

  /** Stands for the buffers kept by an update without new ones: only its length is checked. */
  private double[] currentBuffersShape() {
    return net.bufferCount() == 0 ? null : new double[net.bufferCount()];
  }

  private static double[] keepBuffers(PartitionCurvature pc) {
    double[] b = pc.curvature == null ? null : pc.curvature.buffers();
    return b == null ? new double[0] : b;
  }

  /**
   * Caches the partitions, materialises them and reads N, the loss and where each partition's rows start in the data
   * set (one job).
   */
  private void install(JavaRDD<PartitionCurvature> rdd, double[] theta) {
    rdd.persist(StorageLevel.MEMORY_ONLY());
    List<double[]> perPartition = rdd.map(PartitionCurvature::weightedLoss).collect();  // one per partition, in order
    if (perPartition.isEmpty()) throw new IllegalArgumentException("the data set has no rows (no partitions)");
    double[] s = new double[perPartition.get(0).length];
    long[] first = new long[perPartition.size()];
    for (int p = 0; p < perPartition.size(); p++) {
      first[p] = (long) s[0];
      for (int i = 0; i < s.length; i++) s[i] += perPartition.get(p)[i];
    }
    if (s[0] == 0) throw new IllegalArgumentException("the data set has no rows");
    this.firstRows = first;
    this.parts = rdd;
    this.theta = theta.clone();
    this.samples = (long) s[0];
    this.loss = s[1] / s[0];
    this.streamingPartitions = (int) s[2];
    this.filledPartitions = (int) s[3];
    this.cachedBatches = (long) s[4];
    this.batches = (long) s[5];
    this.gradient = null;
  }

  private <T> Broadcast<T> remember(Broadcast<T> b) {
    broadcasts.add(b);
    return b;
  }

  /** The full Hessian or GGN over all parameters. */
  public DistributedOperator full(Curvature.Kind kind) {
    return new DistributedOperator(this, kind, PartitionCurvature.FULL, net.paramCount());
  }

  /** The diagonal block of a parametrised layer (weights then bias). */
  public DistributedOperator block(Curvature.Kind kind, int layer) {
    if (!net.parametrisedLayers().contains(layer)) {
      throw new IllegalArgumentException("layer " + layer + " has no parameters; layers with parameters: "
          + net.parametrisedLayers());
    }
    return new DistributedOperator(this, kind, layer, net.blockSize(layer));
  }

  /** Refuses the curvature kinds that have no distributed products (back-matching), in one line with the way out. */
  static void requireDistributed(CurvatureKind kind) {
    if (kind.productKind() == null) {
      throw new IllegalArgumentException("--curvature " + kind.id + ": not distributed (its spectrum comes from "
          + "per-layer input moments); run hesse spectrum on one machine");
    }
  }

  /**
   * This curvature as the source of the library's per-layer spectra ({@link LayerSpectraEngine}): Hessian and GGN
   * blocks, a dense layer's trace from its per-sample structure ({@link #layerTrace}). Back-matching (per-layer input moments) and dense materialisation (one distributed product per column)
   * are not offered.
   */
  public CurvatureSource spectraSource() {
    return new CurvatureSource() {
      @Override public Network network() {
        return net;
      }

      @Override public DistributedOperator block(CurvatureKind kind, int layer) {
        requireDistributed(kind);
        return DistributedCurvature.this.block(kind.productKind(), layer);
      }

      @Override public double[] gradient() {
        return DistributedCurvature.this.gradient();
      }

      @Override public LayerSpectra.TraceValue structureTrace(CurvatureKind kind, int layer, long seed) {
        // the rows are not coupled (requireRowSeparable), so only the layer's structure decides
        if (kind.productKind() == null || !DenseLayerTrace.structureApplies(net, layer)) return null;
        return CurvatureSource.traceValue(layerTrace(kind.productKind(), layer, seed));
      }

      @Override public boolean denseAllowed() {
        return false;
      }
    };
  }

  /**
   * A dense layer's trace from its per-sample structure, as on one machine ({@link DenseLayerTrace}): each partition
   * sums its rows' terms, the probes of row i drawn from the seed and i (its index in the data set, the partitions'
   * rows in order), and the driver adds them (one job, no parameter products). The value equals the local one on
   * the rows in the same order to rounding (each partition's passes carry its own 1/n_p, rescaled to 1/N).
   *
   * @throws IllegalArgumentException when the layer's structure does not hold ({@link DenseLayerTrace#structureApplies})
   */
  public TraceEstimate layerTrace(Curvature.Kind kind, int layer, long seed) {
    if (!DenseLayerTrace.structureApplies(net, layer)) {
      throw new IllegalArgumentException("layer " + layer + ": expected a dense layer on flat samples with its own "
          + "tensors, for the per-sample trace");
    }
    long total = samples;
    long[] first = firstRows;
    List<DenseLayerTrace.Part> terms = parts.mapPartitionsWithIndex((p, it) -> {
      List<DenseLayerTrace.Part> out = new ArrayList<>();
      while (it.hasNext()) {
        DenseLayerTrace.Part t = it.next().tracePart(kind, layer, seed, first[p], total);
        if (t != null) out.add(t);
      }
      return out.iterator();
    }, true).collect();
    DenseLayerTrace.Part sum = terms.get(0);
    for (int p = 1; p < terms.size(); p++) sum = sum.plus(terms.get(p));
    return sum.estimate();
  }

  /** y = Σ_p (n_p/N) A_p x for k directions of length n each (one broadcast, one treeAggregate). */
  void product(Curvature.Kind kind, int layer, int n, double[] x, double[] y, int k) {
    long t0 = System.nanoTime();
    Broadcast<double[]> bx = jsc.broadcast(java.util.Arrays.copyOf(x, k * n));
    long total = samples;
    double[] sum = parts.treeAggregate(new double[k * n], (acc, pc) -> {
      pc.addProduct(kind, layer, bx.value(), k, total, acc);
      return acc;
    }, DistributedCurvature::add, AGGREGATE_DEPTH);
    bx.destroy();
    System.arraycopy(sum, 0, y, 0, k * n);
    products += k;
    productNanos += System.nanoTime() - t0;
  }

  /**
   * The framework's share of a product of length n: a broadcast of n values and a treeAggregate of n values over the
   * cached partitions, with no curvature work. For the throughput figures (per-product overhead).
   */
  double overheadProbe(int n) {
    long t0 = System.nanoTime();
    Broadcast<double[]> bx = jsc.broadcast(new double[n]);
    double[] sum = parts.treeAggregate(new double[n], (acc, pc) -> {
      double[] v = bx.value();
      for (int i = 0; i < v.length; i++) acc[i] += v[i];
      return acc;
    }, DistributedCurvature::add, AGGREGATE_DEPTH);
    bx.destroy();
    if (sum.length != n) throw new IllegalStateException("aggregate of length " + sum.length + ", expected " + n);
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double[] add(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) a[i] += b[i];
    return a;
  }

  /** The gradient of the mean loss (computed once per parameters, one job). */
  public double[] gradient() {
    if (gradient == null) {
      long total = samples;
      gradient = parts.treeAggregate(new double[net.paramCount()], (acc, pc) -> {
        pc.addGradient(total, acc);
        return acc;
      }, DistributedCurvature::add, AGGREGATE_DEPTH);
    }
    return gradient.clone();
  }

  public Network network() { return net; }
  public long samples() { return samples; }
  public double loss() { return loss; }
  /** Rows per batch of the passes, at most: the requested size, or N when smaller (as a local Curvature reports it). */
  public int batchSize() { return (int) Math.min(batchSize, samples); }
  public Mode mode() { return mode; }
  public int partitions() { return parts.getNumPartitions(); }

  /**
   * Partitions whose curvature streams batches (recomputes their forward data in every product: cache mode none, or
   * auto when the partition's cache exceeds the executor's memory budget).
   */
  public int streamingPartitions() { return streamingPartitions; }

  /** Partitions with rows (each has its curvature). */
  public int filledPartitions() { return filledPartitions; }

  /** Batches cached over all partitions (each partition caches its first ones), of {@link #batches}. */
  public long cachedBatches() { return cachedBatches; }

  /** Batches over all partitions. */
  public long batches() { return batches; }
  public double[] parameters() { return theta.clone(); }
  public JavaSparkContext context() { return jsc; }

  /** Id of the cached RDD of partition curvatures (tests drop its blocks to exercise recomputation). */
  int rddId() { return parts.id(); }

  /** Single-vector products computed so far (a k-vector product counts k). */
  public long products() { return products; }

  /** Wall time spent in products on the driver (broadcast, executors' work, aggregation), seconds. */
  public double productSeconds() { return productNanos / 1e9; }

  private static void checkSizes(Network net, double[] theta, double[] buffers) {
    if (theta == null || theta.length != net.paramCount()) {
      throw new IllegalArgumentException("parameters: expected " + net.paramCount() + " values, got "
          + (theta == null ? "none" : theta.length));
    }
    int expected = net.bufferCount();
    boolean ok = expected == 0 ? buffers == null || buffers.length == 0 : buffers != null && buffers.length == expected;
    if (!ok) {
      throw new IllegalArgumentException("buffers: expected " + expected + " values, got " + (buffers == null ? "none" : buffers.length));
    }
  }

  /** Drops the cached partitions and the broadcasts. */
  @Override
  public void close() {
    if (parts != null) parts.unpersist(false);
    for (Broadcast<?> b : broadcasts) b.destroy();
    broadcasts.clear();
  }
}
