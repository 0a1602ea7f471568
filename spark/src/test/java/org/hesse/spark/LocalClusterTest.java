package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Init;
import org.hesse.nn.Mode;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same checks on {@code local-cluster[2,1,1024]}: a standalone master and worker in this JVM, two executor JVMs
 * that receive the rows, the model and the directions over the network (everything serialised, nothing shared).
 *
 * <p>local-cluster needs no Spark distribution, only what its launcher probes: with {@code spark.testing} set the
 * worker takes its Spark home from {@code spark.test.home}; the launcher checks that home for
 * {@code launcher/target/scala-2.13} (to learn the Scala version) and a {@code jars} directory (here empty), and the
 * executors' class path is {@code spark.executor.extraClassPath}: this JVM's class path (Maven's).
 */
class LocalClusterTest {
  static SparkSession cluster;
  static Path home;

  @TempDir Path dir;

  @BeforeAll
  static void start() throws Exception {
    TestSpark.stop();  // one SparkContext per JVM
    home = Files.createTempDirectory("hesse-spark-home");
    Files.createDirectories(home.resolve("jars"));
    Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
    System.setProperty("spark.testing", "true");
    System.setProperty("spark.test.home", home.toString());
    cluster = SparkSession.builder().master("local-cluster[2,1,1024]").appName("hesse-spark-cluster-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.task.maxFailures", "4")
        .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
        // wait for both executors before the first job, so its tasks reach both JVMs even on a loaded machine
        .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", "120s")
        .config("spark.executor.extraJavaOptions", System.getProperty("hesse.executor.flags", ""))
        .getOrCreate();
    cluster.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.stop();
    System.clearProperty("spark.testing");
    System.clearProperty("spark.test.home");
  }

  /** Process ids of the executor JVMs that run tasks now (a job of many small tasks reaches both). */
  static Set<Long> executorPids(JavaSparkContext jsc) {
    List<Integer> xs = new ArrayList<>();
    for (int i = 0; i < 16; i++) xs.add(i);
    return new TreeSet<>(jsc.parallelize(xs, 16).map(i -> {
      Thread.sleep(50);
      return ProcessHandle.current().pid();
    }).collect());
  }

  @Test
  void productsOnTwoExecutorJvmsEqualTheLocalOnesAndSurviveAKilledExecutor() throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(cluster.sparkContext());
    Set<Long> before = executorPids(jsc);
    assertEquals(2, before.size(), "two executor JVMs expected, got " + before);
    assertFalse(before.contains(ProcessHandle.current().pid()), "executors run in their own JVMs");

    Network net = Nets.mlp(5, 7, 6, 3, Activation.TANH, "mse");
    int n = 41;
    double[] x = Nets.features(n, 5, 1.0, 3);
    double[] y = Nets.targets(net, n, 4);
    double[] theta = Init.PYTORCH.init(net, 1);
    Curvature local = Curvature.of(net, theta, x, y, 7);
    try (DistributedCurvature dc = DistributedCurvature.of(
        SparkData.parallelize(jsc, x, y, 5, 9, 1, 0, 17, 3, 11), net, theta, null, Mode.ANALYSIS, 4)) {
      DistributedCurvatureTest.assertClose(local.gradient(), dc.gradient(), "gradient");
      DistributedCurvatureTest.compare(local.full(Curvature.Kind.HESSIAN), dc.full(Curvature.Kind.HESSIAN), "full H, 3 vectors", 3);
      DistributedCurvatureTest.compare(local.block(Curvature.Kind.GGN, 2), dc.block(Curvature.Kind.GGN, 2), "GGN block 2", 1);

      double[] v = Nets.gaussian(net.paramCount(), 1.0, 8);
      double[] first = new double[v.length];
      dc.full(Curvature.Kind.HESSIAN).apply(v, first);
      // kill one executor JVM (a child of this test's worker): its cached partitions are lost with it
      long victim = before.iterator().next();
      ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);
      ProcessHandle.of(victim).ifPresent(p -> p.onExit().join());
      double[] again = new double[v.length];
      dc.full(Curvature.Kind.HESSIAN).apply(v, again);
      assertTrue(DistributedCurvatureTest.relErr(first, again) <= 1e-13,
          "product changed after an executor was killed: " + DistributedCurvatureTest.relErr(first, again));
      double[] expected = new double[v.length];
      local.full(Curvature.Kind.HESSIAN).apply(v, expected);
      assertTrue(DistributedCurvatureTest.relErr(expected, again) <= 1e-10);
      Set<Long> after = executorPids(jsc);
      assertFalse(after.contains(victim), "the killed executor " + victim + " still runs tasks: " + after);
    }
  }

  @Test
  void reportOnTwoExecutorJvmsEqualsTheLocalOne() throws Exception {
    Network net = Nets.mlp(4, 6, 5, 2, Activation.TANH, "mse");
    Path csv = ReportEqualityTest.regressionCsv(dir, net);
    String[] common = ReportEqualityTest.files(dir, net, 1, "--data", csv.toString(), "--target", "y0,y1", "--top", "2",
        "--layers", "4", "--density", "--slq-steps", "6", "--slq-probes", "1");
    List<String> s = new ArrayList<>(List.of(common));
    s.addAll(List.of("--partitions", "3"));
    ReportEqualityTest.compare(ReportEqualityTest.runLocal(dir, common),
        ReportEqualityTest.runSpark(cluster, dir, s.toArray(String[]::new)));
  }
}
