package org.hesse.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hesse.cli.HesseCli;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Init;
import org.hesse.nn.Nets;
import org.hesse.nn.Network;
import org.hesse.simd.Activation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SparkSpectrum} against {@code hesse spectrum} itself (the CLI run in-process on the same files): every
 * number of the report, layer by layer (top, bottom, trace, density, metrics, gradient overlap, ARPACK's
 * iteration and application counts), equals the single-machine one to 1e-10 relative. Left out: the run's
 * provenance (times, JVM, Spark) and ARPACK's residual norms, which are rounding noise (≈1e-15 absolute) and so
 * agree in size, not in digits.
 */
class ReportEqualityTest {
  static final double TOL = 1e-10;
  /** Below this a value is rounding noise (a null-space eigenvalue, a residual): compared absolutely. */
  static final double FLOOR = 1e-12;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void csvRegressionReportEqualsTheLocalOne() throws Exception {
    Network net = Nets.mlp(4, 6, 5, 2, Activation.TANH, "mse");
    int n = 57;
    double[] x = Nets.features(n, 4, 1.0, 11);
    double[] y = Nets.targets(net, n, 12);
    Path csv = dir.resolve("data.csv");
    Csv.write(csv, Dataset.regression(x, n, 4, y, 2, null, List.of("y0", "y1")));
    // top 4, not 3: the last layer's eigenvalues come in exact pairs (mse over 2 outputs: (2/C) I ⊗ C_xx), and a
    // top-3 would cut a 2-dimensional eigenspace, whose third vector (and so gradient_overlap_top) is arbitrary
    String[] common = files(net, 1, "--data", csv.toString(), "--target", "y0,y1", "--top", "4", "--bottom", "2",
        "--density", "--slq-steps", "15", "--slq-probes", "3", "--seed", "5");
    compareReports(common, "--partitions", "3");
  }

  @Test
  void libsvmClassificationReportEqualsTheLocalOne() throws Exception {
    Network net = Nets.mlp(5, 6, 4, 3, Activation.TANH, "cross_entropy");
    int n = 44;
    double[] x = Nets.features(n, 5, 1.0, 21);
    double[] raw = {-1, 2, 7};  // numbered 0, 1, 2 in sorted order, on one machine and on Spark
    StringBuilder sb = new StringBuilder("# a comment line\n");
    java.util.SplittableRandom r = new java.util.SplittableRandom(22);
    for (int i = 0; i < n; i++) {
      sb.append((long) raw[r.nextInt(3)]);
      for (int j = 0; j < 5; j++) if (j != i % 5) sb.append(' ').append(j + 1).append(':').append(x[i * 5 + j]);
      sb.append('\n');
    }
    Path svm = dir.resolve("data.svm");
    Files.writeString(svm, sb);
    String[] common = files(net, 2, "--data", svm.toString(), "--top", "2", "--layers", "2,4", "--curvature", "ggn");
    compareReports(common, "--partitions", "4");
  }

  @Test
  void parquetReportEqualsTheCsvOneOnOneMachine() throws Exception {
    Network net = Nets.mlp(3, 5, 4, 2, Activation.SIGMOID, "cross_entropy");
    int n = 36;
    double[] x = Nets.features(n, 3, 1.0, 31);
    double[] yl = Nets.targets(net, n, 32);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = (int) yl[i];
    Path csv = dir.resolve("data.csv");
    Csv.write(csv, Dataset.classification(x, n, 3, labels, 2, null, "label", null));
    Path parquet = dir.resolve("data.parquet");
    TestSpark.session().read().option("header", "true").option("inferSchema", "true").csv(csv.toString())
        .repartition(3).write().parquet(parquet.toString());
    String[] local = files(net, 3, "--data", csv.toString(), "--target", "label", "--top", "2");
    String[] spark = files(net, 3, "--data", parquet.toString(), "--target", "label", "--top", "2");
    compare(runLocal(local), runSpark(spark));
  }

  /** Writes the model and weights; returns the common options. */
  private String[] files(Network net, long seed, String... rest) throws Exception {
    return files(dir, net, seed, rest);
  }

  static String[] files(Path dir, Network net, long seed, String... rest) throws Exception {
    Path model = dir.resolve("model.json");
    Path weights = dir.resolve("weights.safetensors");
    ModelFiles.spec(net).write(model);
    ModelFiles.writeParameters(net, Init.PYTORCH.init(net, seed), weights);
    List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--weights", weights.toString()));
    a.addAll(List.of(rest));
    return a.toArray(String[]::new);
  }

  private void compareReports(String[] common, String... sparkOnly) throws Exception {
    List<String> s = new ArrayList<>(List.of(common));
    s.addAll(List.of(sparkOnly));
    compare(runLocal(common), runSpark(s.toArray(String[]::new)));
  }

  private JsonNode runLocal(String[] common) throws Exception {
    return runLocal(dir, common);
  }

  /** hesse spectrum in-process, writing into dir. */
  static JsonNode runLocal(Path dir, String[] common) throws Exception {
    Path out = dir.resolve("local.json");
    List<String> a = new ArrayList<>(List.of("spectrum"));
    a.addAll(List.of(common));
    a.addAll(List.of("--out", out.toString()));
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), a.toArray(String[]::new));
    assertEquals(0, code, "hesse spectrum failed: " + err);
    return JSON.readTree(out.toFile());
  }

  private JsonNode runSpark(String[] args) throws Exception {
    return runSpark(TestSpark.session(), dir, args);
  }

  /** SparkSpectrum on the given session, writing into dir; fails the test on a non-zero exit. */
  static JsonNode runSpark(org.apache.spark.sql.SparkSession session, Path dir, String[] args) throws Exception {
    Path out = dir.resolve("spark.json");
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--out", out.toString()));
    StringWriter err = new StringWriter();
    int code = SparkSpectrum.run(session, new PrintWriter(new StringWriter()), new PrintWriter(err),
        a.toArray(String[]::new));
    assertEquals(0, code, "SparkSpectrum failed: " + err);
    JsonNode r = JSON.readTree(out.toFile());
    assertTrue(r.at("/provenance/spark/products").asLong() > 0, "no distributed product recorded: " + r.at("/provenance"));
    return r;
  }

  static final Set<String> SKIPPED = Set.of("residuals");

  static void compare(JsonNode local, JsonNode spark) {
    assertTrue(local.get("layers").size() > 0, "no layers in the local report");
    for (String top : List.of("loss", "samples", "curvature", "mode", "batch", "layers")) {
      compare(local.get(top), spark.get(top), top);
    }
  }

  static void compare(JsonNode a, JsonNode b, String path) {
    if (b == null) fail(path + ": missing in the Spark report");
    if (a.isObject()) {
      assertTrue(b.isObject(), path + ": expected an object, got " + b);
      List<String> ka = new ArrayList<>();
      a.fieldNames().forEachRemaining(ka::add);
      List<String> kb = new ArrayList<>();
      b.fieldNames().forEachRemaining(kb::add);
      assertEquals(ka, kb, path + ": keys");
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!SKIPPED.contains(e.getKey())) compare(e.getValue(), b.get(e.getKey()), path + "." + e.getKey());
      }
    } else if (a.isArray()) {
      assertTrue(b.isArray(), path + ": expected an array, got " + b);
      assertEquals(a.size(), b.size(), path + ": length");
      for (int i = 0; i < a.size(); i++) compare(a.get(i), b.get(i), path + "[" + i + "]");
    } else if (a.isNumber()) {
      assertTrue(b.isNumber(), path + ": expected a number, got " + b);
      double u = a.asDouble();
      double v = b.asDouble();
      double scale = Math.max(Math.abs(u), Math.abs(v));
      assertTrue(Math.abs(u - v) <= Math.max(TOL * scale, FLOOR), path + ": " + u + " (local) vs " + v + " (spark)");
    } else {
      assertEquals(a, b, path);
    }
  }
}
