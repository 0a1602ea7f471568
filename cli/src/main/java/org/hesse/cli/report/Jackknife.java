package org.hesse.cli.report;

import java.util.function.ToDoubleFunction;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.cli.report.RunData.LayerPoint;

/**
 * Standard errors of the SLQ-derived metrics (effective rank, negative mass, ...), which the run stores as one
 * number per layer without an error: the jackknife over the SLQ probes. Each metric is recomputed by the same code
 * that produced it ({@link SpectralMetrics#fromSlq}) from the stored nodes and weights with one probe left out;
 * SE = sqrt((m − 1)/m · Σ (θ₍ᵢ₎ − θ̄)²) for m probes. For a statistic linear in the probes (the trace) this is
 * exactly the usual standard error of the probe mean.
 */
final class Jackknife {
  private Jackknife() {}

  /** NaN unless the layer's metrics come from SLQ with at least two probes (a full spectrum has no sampling error). */
  static double standardError(LayerPoint l, ToDoubleFunction<SpectralMetrics> metric) {
    if (!"slq".equals(l.metricsSource()) || l.nodes() == null || l.nodes().length < 2) return Double.NaN;
    int m = l.nodes().length;
    double[] theta = new double[m];
    for (int leave = 0; leave < m; leave++) {
      double[][] nodes = new double[m - 1][];
      double[][] weights = new double[m - 1][];
      int[] steps = new int[m - 1];
      for (int p = 0, q = 0; p < m; p++) {
        if (p == leave) continue;
        nodes[q] = l.nodes()[p];
        weights[q] = l.weights()[p];
        steps[q++] = l.nodes()[p].length;
      }
      theta[leave] = metric.applyAsDouble(SpectralMetrics.fromSlq(new SlqResult(l.params(), 0, steps, nodes, weights, 0, 0)));
    }
    double mean = 0;
    for (double t : theta) mean += t / m;
    double ss = 0;
    for (double t : theta) ss += (t - mean) * (t - mean);
    return Math.sqrt((m - 1.0) / m * ss);
  }
}
