package org.hesse.spark;

import java.util.Arrays;

/** Access for the throughput harness to the package's overhead probe. */
public final class SparkBench {
  private SparkBench() {}

  /** Median seconds of a broadcast + treeAggregate of n values over the cached partitions, no curvature work. */
  public static double overhead(DistributedCurvature dc, int n, int repeats) {
    for (int i = 0; i < 3; i++) dc.overheadProbe(n);
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) t[i] = dc.overheadProbe(n);
    Arrays.sort(t);
    return t[repeats / 2];
  }
}
