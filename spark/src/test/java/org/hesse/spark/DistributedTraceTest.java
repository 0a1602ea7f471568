package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.hesse.eigen.TraceEstimate;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.DenseLayerTrace;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.hvp.spectra.LayerSpectra;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * A dense layer's per-sample trace on Spark (local[2], six uneven partitions, one empty, batches of 4 rows) against
 * the local engine on the same rows (batches of 7): the estimate (24 outputs, 2 Rademacher probes per sample) and the
 * exact value (10 outputs), Hessian and GGN. Equal to 1e-12 relative, value and standard error: the probes are the
 * same (drawn per row from the seed and the row's index), only rounding differs (each partition's passes carry its
 * own 1/n_p, rescaled to 1/N, and the partitions' sums are added on the driver).
 */
class DistributedTraceTest {
  static final double TOL = 1e-12;

  /** The rows after repartitionInOrder are the rows before, in the same order, in the partitions asked for. */
  @Test
  void repartitionInOrderKeepsTheRowsOrder() {
    int n = 41;
    double[] x = Nets.features(n, 5, 1.0, 7);
    double[] y = Nets.features(n, 1, 1.0, 8);
    for (int p : new int[] {1, 4, 9}) {
      List<RowBatch> parts = SparkData.repartitionInOrder(SparkData.parallelize(TestSpark.context(), x, y, 5,
          DistributedCurvatureTest.PARTITION_ROWS), p).glom().collect().stream()
          .map(l -> l.isEmpty() ? new RowBatch(0, new double[0], new double[0]) : RowBatch.concat(l)).toList();
      assertEquals(p, parts.size());
      RowBatch all = RowBatch.concat(parts);
      assertEquals(n, all.rows());
      assertTrue(java.util.Arrays.equals(x, all.x()) && java.util.Arrays.equals(y, all.y()), p + " partitions");
    }
  }

  @Test
  void perSampleTraceEqualsTheLocalEngines() {
    // layer 0: 5·24 + 24 = 144 parameters, 24 outputs (the Hessian's estimate); layer 2: 24·10 + 10 = 250, 10 outputs
    // (exact); the GGN's both exact from the output side (3 outputs: J^T Λ J)
    Network net = Nets.mlp(5, 24, 10, 3, Activation.TANH, "mse");
    int n = 41;
    double[] x = Nets.features(n, 5, 1.0, 3);
    double[] y = Nets.targets(net, n, 4);
    double[] theta = Init.PYTORCH.init(net, 1);
    Curvature local = Curvature.of(net, theta, x, y, 7);
    try (DistributedCurvature dc = DistributedCurvature.of(SparkData.parallelize(TestSpark.context(), x, y, 5,
        DistributedCurvatureTest.PARTITION_ROWS), net, theta, null, Mode.ANALYSIS, 4)) {
      for (CurvatureKind kind : List.of(CurvatureKind.HESSIAN, CurvatureKind.GGN)) {
        // top 0: the engine takes the trace from the structure alone (no products), as for a layer over 128 parameters
        SpectraOptions o = new SpectraOptions(kind, 0, 0, false, false, false, 90, 10, 200, 30, 1e-8, 17);
        LayerSpectraEngine spark = new LayerSpectraEngine(dc.spectraSource(), o);
        LayerSpectraEngine one = new LayerSpectraEngine(CurvatureSource.of(local), o);
        for (int l : new int[] {0, 2}) {
          String what = kind + " layer " + l;
          LayerSpectra.TraceValue s = spark.layer(l).trace();
          LayerSpectra.TraceValue t = one.layer(l).trace();
          boolean estimated = l == 0 && kind == CurvatureKind.HESSIAN;
          assertEquals(estimated ? DenseLayerTrace.ESTIMATE : DenseLayerTrace.EXACT, t.source(), what);
          assertEquals(t.source(), s.source(), what);
          assertEquals(t.value(), s.value(), TOL * Math.abs(t.value()), what);
          if (kind == CurvatureKind.GGN) {
            TraceEstimate whole = dc.layerTrace(Curvature.Kind.GGN, l, 17);
            assertEquals(3, whole.applications(), what + ": the C output directions per sample");
            assertEquals(DenseLayerTrace.of(local, Curvature.Kind.GGN, l, 17).applications(), whole.applications(), what);
          }
          if (estimated) {
            TraceEstimate te = t.estimate();
            TraceEstimate se = s.estimate();
            assertTrue(te.standardError() > 0, what);
            assertEquals(te.standardError(), se.standardError(), TOL * te.standardError(), what + ": standard error");
            assertEquals(te.samples(), se.samples(), what);
            assertEquals(te.applications(), se.applications(), what);
          }
        }
        assertEquals(0, dc.products(), "the per-sample trace makes no parameter products");
      }
      // other partitions of the same rows in the same order: the same probes, so the same estimate (to rounding)
      try (DistributedCurvature four = DistributedCurvature.of(SparkData.repartitionInOrder(SparkData.parallelize(
          TestSpark.context(), x, y, 5, DistributedCurvatureTest.PARTITION_ROWS), 4), net, theta, null, Mode.ANALYSIS, 4)) {
        assertEquals(4, four.partitions());
        TraceEstimate a = dc.layerTrace(Curvature.Kind.HESSIAN, 0, 17);
        TraceEstimate b = four.layerTrace(Curvature.Kind.HESSIAN, 0, 17);
        assertEquals(a.estimate(), b.estimate(), TOL * Math.abs(a.estimate()), "repartitioned in order");
        assertEquals(a.standardError(), b.standardError(), TOL * a.standardError(), "repartitioned in order");
      }
      // another seed draws other probes: the comparison above can tell them apart
      double other = dc.layerTrace(Curvature.Kind.HESSIAN, 0, 18).estimate();
      double same = dc.layerTrace(Curvature.Kind.HESSIAN, 0, 17).estimate();
      assertTrue(Math.abs(other - same) > 1e-6 * Math.abs(same), same + " vs " + other);
    }
  }
}
