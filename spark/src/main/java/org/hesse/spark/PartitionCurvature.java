package org.hesse.spark;

import java.util.HashMap;
import java.util.Map;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;

/**
 * What one partition keeps in the executor's memory (cached, never serialised): the {@link Curvature} of its rows
 * (forward data, signals, per-batch quantities) and one operator per block asked for, reused across products.
 * Its products carry the weight 1/rows of the partition's own mean; {@link #addProduct} rescales to rows/N.
 */
final class PartitionCurvature {
  static final int FULL = -1;

  final int rows;
  final Curvature curvature;  // null for an empty partition
  private final Map<Integer, CurvatureOperator> operators = new HashMap<>();
  private double[] buffer = new double[0];

  private PartitionCurvature(int rows, Curvature curvature) {
    this.rows = rows;
    this.curvature = curvature;
  }

  /** The partition's curvature; cache null: the executor's {@code hesse.curvature.cache}. */
  static PartitionCurvature build(RowBatch rows, String modelJson, double[] theta, double[] buffers, Mode mode, int batchSize,
                                  Curvature.CacheMode cache) {
    if (rows.rows() == 0) return new PartitionCurvature(0, null);
    Network net = ModelFiles.network(ModelSpec.parse(modelJson, "the model"));
    return new PartitionCurvature(rows.rows(),
        Curvature.of(net, theta, buffers.length == 0 ? null : buffers, mode, rows.x(), rows.y(), batchSize,
            cache == null ? Curvature.CacheMode.fromSystemProperty() : cache));
  }

  synchronized void update(double[] theta, double[] buffers) {
    if (curvature != null) curvature.update(theta, buffers.length == 0 ? null : buffers);
  }

  /** acc += (rows / samples) · A x for k directions, A the partition's block of layer (or FULL) of the given kind. */
  synchronized void addProduct(Curvature.Kind kind, int layer, double[] x, int k, long samples, double[] acc) {
    if (curvature == null) return;
    CurvatureOperator op = operators.computeIfAbsent(key(kind, layer),
        key -> layer == FULL ? curvature.full(kind) : curvature.block(kind, layer));
    int len = k * op.rows();
    if (buffer.length < len) buffer = new double[len];
    op.applyMany(x, buffer, k);
    double w = (double) rows / samples;
    for (int i = 0; i < len; i++) acc[i] += w * buffer[i];
  }

  /**
   * {rows, rows · loss, 1 if its curvature streams batches (recomputes their forward data in every product) else 0,
   * 1, cached batches, batches}: summed over partitions, N, N times the mean loss, the number of streaming partitions
   * and of partitions with rows, the cached batches and all batches.
   */
  double[] weightedLoss() {
    if (curvature == null) return new double[6];
    int cached = curvature.cachedBatches();
    int batches = curvature.batches();
    return new double[] {rows, rows * curvature.loss(), cached < batches ? 1 : 0, 1, cached, batches};
  }

  /**
   * The terms of layer's per-sample trace over the partition's rows ({@link DenseLayerTrace#part}), which are rows
   * {@code first, first + 1, …} of the data set, weighted rows / samples (the partition's mean to the whole one's);
   * null for an empty partition.
   */
  synchronized DenseLayerTrace.Part tracePart(Curvature.Kind kind, int layer, long seed, long first, long samples) {
    if (curvature == null) return null;
    return DenseLayerTrace.part(curvature, kind, layer, seed, first).scaled((double) rows / samples);
  }

  /** acc += (rows / samples) · gradient of the partition's mean loss. */
  synchronized void addGradient(long samples, double[] acc) {
    if (curvature == null) return;
    double[] g = curvature.gradient();
    double w = (double) rows / samples;
    for (int i = 0; i < g.length; i++) acc[i] += w * g[i];
  }

  private static int key(Curvature.Kind kind, int layer) {
    return (layer + 1) * 2 + kind.ordinal();
  }
}
