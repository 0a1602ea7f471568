package org.hesse.hvp.rules;

import org.hesse.precision.Float32Twin;
import org.hesse.nn.Layer;
import org.hesse.nn.LayerContext;

/**
 * What every product reuses of one node on one batch, built once per batch and parameters by the curvature engine:
 * the op, the parameters and the node's offset in them, its input activations and output (rows = samples), the
 * first-order signal g at its output (carrying the loss's 1/N), the forward context and the rule's own prepared
 * quantities ({@link SecondOrderRule#prepare}). Read-only during products.
 */
@Float32Twin
public final class Primal {
  public final Layer layer;
  public final LayerContext ctx;
  public final double[] theta;
  public final int off;
  public final double[][] xs;
  public final double[] z;
  public final double[] g;
  public final int batch;
  /** The rule's prepared quantities (null when it needs none). */
  public Object prep;

  public Primal(Layer layer, LayerContext ctx, double[] theta, int off, double[][] xs, double[] z, double[] g, int batch) {
    this.layer = layer;
    this.ctx = ctx;
    this.theta = theta;
    this.off = off;
    this.xs = xs;
    this.z = z;
    this.g = g;
    this.batch = batch;
  }

  /** The (first) input. */
  public double[] x() {
    return xs[0];
  }
}
