package org.hesse.spark.bench;

import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.eigen.LinearOperator;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.hesse.spark.DistributedCurvature;
import org.hesse.spark.SparkBench;
import org.hesse.spark.SparkData;

/**
 * Throughput harness (not a unit test): distributed products per second against the local engine on the same data,
 * for 1, 2, 4, 8 partitions, and the per-product overhead (broadcast + treeAggregate with no curvature work).
 * Usage: {@code ProductThroughput [master=local[2]] [rows=20000] [repeats=15]}; prints a Markdown table.
 * Medians of {@code repeats} timed products after 3 warm-up ones.
 */
public final class ProductThroughput {
  private ProductThroughput() {}

  public static void main(String[] args) {
    String master = args.length > 0 ? args[0] : "local[2]";
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    Network net = Nets.mlp(100, 256, 128, 10, Activation.TANH, "cross_entropy");
    double[] x = Nets.features(rows, 100, 1.0, 1);
    double[] y = Nets.targets(net, rows, 2);
    double[] theta = Init.PYTORCH.init(net, 1);
    int p = net.paramCount();
    int last = net.parametrisedLayers().get(net.parametrisedLayers().size() - 1);
    Curvature local = Curvature.of(net, theta, x, y, 256);
    System.out.printf(Locale.ROOT, "model 100-256-128-10 tanh, cross-entropy, %d parameters, %d rows, master %s, %d cores%n%n",
        p, rows, master, Runtime.getRuntime().availableProcessors());
    double lFull = median(local.full(Curvature.Kind.HESSIAN), 1, repeats);
    double lBlock = median(local.block(Curvature.Kind.HESSIAN, last), 1, repeats);
    double lMany = median(local.full(Curvature.Kind.HESSIAN), 8, repeats);

    SparkSession spark = SparkSession.builder().master(master).appName("hesse-spark-throughput")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    System.out.println("| partitions | full HVP/s | vs local | block (last layer) HVP/s | vs local | 8-vector full, vectors/s | vs local | overhead, full-size vector (ms) | overhead, block-size (ms) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    System.out.printf(Locale.ROOT, "| local engine | %.2f | 1 | %.1f | 1 | %.2f | 1 | – | – |%n", 1 / lFull, 1 / lBlock, 8 / lMany);
    for (int parts : new int[] {1, 2, 4, 8}) {
      int[] sizes = new int[parts];
      for (int i = 0; i < parts; i++) sizes[i] = rows / parts + (i < rows % parts ? 1 : 0);
      try (DistributedCurvature dc = DistributedCurvature.of(SparkData.parallelize(jsc, x, y, 100, sizes), net, theta, null,
          Mode.ANALYSIS, 256)) {
        double dFull = median(dc.full(Curvature.Kind.HESSIAN), 1, repeats);
        double dBlock = median(dc.block(Curvature.Kind.HESSIAN, last), 1, repeats);
        double dMany = median(dc.full(Curvature.Kind.HESSIAN), 8, repeats);
        double oFull = SparkBench.overhead(dc, p, repeats);
        double oBlock = SparkBench.overhead(dc, net.layer(last).paramCount(), repeats);
        System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f | %.1f | %.1f |%n", parts, 1 / dFull, lFull / dFull,
            1 / dBlock, lBlock / dBlock, 8 / dMany, lMany / dMany, 1e3 * oFull, 1e3 * oBlock);
      }
    }
    spark.stop();
  }

  /** Median seconds of one k-vector product. */
  static double median(LinearOperator op, int k, int repeats) {
    int n = op.dim();
    double[] v = Nets.gaussian(n * k, 1.0, 5);
    double[] out = new double[n * k];
    for (int i = 0; i < 3; i++) op.applyMany(v, out, k);
    double[] t = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      op.applyMany(v, out, k);
      t[i] = (System.nanoTime() - t0) / 1e9;
    }
    Arrays.sort(t);
    return t[repeats / 2];
  }
}
