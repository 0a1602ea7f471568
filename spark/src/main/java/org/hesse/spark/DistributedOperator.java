package org.hesse.spark;

import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature;

/**
 * A block (or the whole) of a {@link DistributedCurvature} as an eigen {@link LinearOperator}: ARPACK, SLQ and
 * Hutch++ on the driver call {@link #apply} or {@link #applyMany}, each one Spark job (broadcast of the directions,
 * the partitions' products summed by treeAggregate, weighted by rows). A k-vector product runs the network passes
 * once on k directions per partition.
 */
public final class DistributedOperator implements LinearOperator {
  private final DistributedCurvature dc;
  private final Curvature.Kind kind;
  private final int layer;
  private final int dim;

  DistributedOperator(DistributedCurvature dc, Curvature.Kind kind, int layer, int dim) {
    this.dc = dc;
    this.kind = kind;
    this.layer = layer;
    this.dim = dim;
  }

  public Curvature.Kind kind() { return kind; }

  @Override
  public int dim() { return dim; }

  @Override
  public void apply(double[] x, double[] y) {
    applyMany(x, y, 1);
  }

  @Override
  public void applyMany(double[] x, double[] y, int k) {
    LinearOperator.checkMany(x, y, k, dim, dim);
    dc.product(kind, layer, dim, x, y, k);
  }
}
