package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.RDDBlockId;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;

/**
 * Lost work is recomputed from the lineage and the numbers do not change. Partition 1's rows fail the first attempt
 * of every task that computes them (the task dies; local[2,2] allows one retry); its cached curvature is dropped
 * from the block manager after an update, as when an executor is lost, so the next product recomputes it: rows,
 * build at the first parameters, update to the second, in a task that fails once and is retried.
 */
class FaultToleranceTest {
  static final AtomicInteger FAILURES = new AtomicInteger();

  @Test
  void aLostPartitionIsRecomputedAndTheProductIsUnchanged() {
    Network net = Nets.mlp(4, 6, 5, 3, Activation.TANH, "cross_entropy");
    int n = 30;
    double[] x = Nets.features(n, 4, 1.0, 5);
    double[] y = Nets.targets(net, n, 6);
    double[] theta1 = Init.PYTORCH.init(net, 1);
    double[] theta2 = Init.PYTORCH.init(net, 2);
    JavaRDD<RowBatch> rows = SparkData.parallelize(TestSpark.context(), x, y, 4, 8, 12, 10).mapPartitions(it -> {
      TaskContext t = TaskContext.get();
      if (t.partitionId() == 1 && t.attemptNumber() == 0) {
        FAILURES.incrementAndGet();
        throw new IllegalStateException("injected failure of the first attempt of partition 1");
      }
      return it;
    }, true);
    FAILURES.set(0);
    try (DistributedCurvature dc = DistributedCurvature.of(rows, net, theta1, null, Mode.ANALYSIS, 5)) {
      assertEquals(1, FAILURES.get(), "the build's task for partition 1 should have failed once");
      dc.update(theta2);
      Curvature local = Curvature.of(net, theta2, x, y, 256);
      double[] v = Nets.gaussian(net.paramCount(), 1.0, 3);
      double[] before = new double[v.length];
      dc.full(Curvature.Kind.HESSIAN).apply(v, before);
      assertEquals(1, FAILURES.get(), "a product on cached partitions reads no rows");

      SparkEnv.get().blockManager().removeBlock(new RDDBlockId(dc.rddId(), 1), true);
      assertTrue(SparkEnv.get().blockManager().getStatus(new RDDBlockId(dc.rddId(), 1)).isEmpty(),
          "partition 1's cached curvature should be gone");
      double[] after = new double[v.length];
      dc.full(Curvature.Kind.HESSIAN).apply(v, after);
      assertEquals(2, FAILURES.get(), "the product's task recomputing partition 1 should have failed once");

      double[] expected = new double[v.length];
      local.full(Curvature.Kind.HESSIAN).apply(v, expected);
      assertTrue(DistributedCurvatureTest.relErr(before, after) <= 1e-13, "product changed by the recomputation: "
          + DistributedCurvatureTest.relErr(before, after));
      assertTrue(DistributedCurvatureTest.relErr(expected, after) <= 1e-10, "recomputed product vs local at the updated "
          + "parameters: " + DistributedCurvatureTest.relErr(expected, after));
    }
  }
}
