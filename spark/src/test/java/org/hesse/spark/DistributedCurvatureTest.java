package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.api.java.JavaRDD;
import org.hesse.eigen.LinearOperator;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Distributed products against the single-machine Curvature on all rows: a small tanh MLP (mse, so the Hessian is
 * indefinite and differs from the GGN), 41 rows in six uneven partitions (one empty, one of a single row), the
 * partitions' batches (4 rows) unlike the local ones (7 rows). Only the summation order differs: 1e-10 relative.
 */
class DistributedCurvatureTest {
  static final double TOL = 1e-10;
  static final int[] PARTITION_ROWS = {9, 1, 0, 17, 3, 11};
  static final int N = 41;

  static Network net;
  static double[] x;
  static double[] y;
  static double[] theta;
  static DistributedCurvature dc;

  @BeforeAll
  static void build() {
    net = Nets.mlp(5, 7, 6, 3, Activation.TANH, "mse");
    x = Nets.features(N, 5, 1.0, 3);
    y = Nets.targets(net, N, 4);
    theta = Init.PYTORCH.init(net, 1);
    JavaRDD<RowBatch> rows = SparkData.parallelize(TestSpark.context(), x, y, 5, PARTITION_ROWS);
    dc = DistributedCurvature.of(rows, net, theta, null, Mode.ANALYSIS, 4);
  }

  @AfterAll
  static void close() {
    dc.close();
  }

  @Test
  void fullBlockGgnAndMultiVectorProductsEqualTheLocalCurvature() {
    Curvature local = Curvature.of(net, theta, x, y, 7);
    assertEquals(N, dc.samples());
    assertEquals(PARTITION_ROWS.length, dc.partitions());
    assertClose(local.loss(), dc.loss(), "loss");
    assertClose(local.gradient(), dc.gradient(), "gradient");
    for (Curvature.Kind kind : Curvature.Kind.values()) {
      compare(local.full(kind), dc.full(kind), kind + " full", 1);
      compare(local.full(kind), dc.full(kind), kind + " full, 3 vectors", 3);
      for (int l : net.parametrisedLayers()) {
        compare(local.block(kind, l), dc.block(kind, l), kind + " block " + l, 1);
        compare(local.block(kind, l), dc.block(kind, l), kind + " block " + l + ", 4 vectors", 4);
      }
    }
    // the Hessian and the GGN differ here, so the comparisons above can tell them apart
    double[] v = Nets.gaussian(net.paramCount(), 1.0, 9);
    double[] h = new double[v.length];
    double[] g = new double[v.length];
    dc.full(Curvature.Kind.HESSIAN).apply(v, h);
    dc.full(Curvature.Kind.GGN).apply(v, g);
    assertTrue(relErr(h, g) > 1e-3, "H v and G v should differ for a tanh network with mse, got " + relErr(h, g));
  }

  @Test
  void updateMovesEveryPartitionToTheNewParameters() {
    double[] theta2 = Init.PYTORCH.init(net, 2);
    Curvature local2 = Curvature.of(net, theta2, x, y, 7);
    DistributedCurvature moved = DistributedCurvature.of(
        SparkData.parallelize(TestSpark.context(), x, y, 5, PARTITION_ROWS), net, theta, null, Mode.ANALYSIS, 5);
    try {
      moved.update(theta2);
      assertClose(local2.loss(), moved.loss(), "loss after update");
      assertClose(local2.gradient(), moved.gradient(), "gradient after update");
      compare(local2.full(Curvature.Kind.HESSIAN), moved.full(Curvature.Kind.HESSIAN), "full after update", 2);
      compare(local2.block(Curvature.Kind.GGN, 2), moved.block(Curvature.Kind.GGN, 2), "GGN block 2 after update", 1);
    } finally {
      moved.close();
    }
  }

  static void compare(LinearOperator local, LinearOperator dist, String what, int k) {
    int n = local.dim();
    assertEquals(n, dist.dim(), what + ": dimension");
    double[] v = Nets.gaussian(n * k, 1.0, 17 + n + k);
    double[] a = new double[n * k];
    double[] b = new double[n * k];
    local.applyMany(v, a, k);
    dist.applyMany(v, b, k);
    double e = relErr(a, b);
    assertTrue(e <= TOL, what + ": relative error " + e + " > " + TOL);
  }

  static double relErr(double[] a, double[] b) {
    double d = 0;
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
      s += a[i] * a[i];
    }
    return Math.sqrt(d / s);
  }

  static void assertClose(double a, double b, String what) {
    assertTrue(Math.abs(a - b) <= TOL * Math.abs(a), what + ": " + a + " vs " + b);
  }

  static void assertClose(double[] a, double[] b, String what) {
    assertEquals(a.length, b.length, what + ": length");
    assertTrue(relErr(a, b) <= TOL, what + ": relative error " + relErr(a, b));
  }
}
