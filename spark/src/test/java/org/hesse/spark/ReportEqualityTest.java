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
 * iteration and application counts), equals the single-machine one to 1e-10 relative, and the two reports have
 * the same top-level keys and provenance keys (Spark's adds {@code spark}). Left out of the values: the run's
 * provenance (times, JVM, Spark) and ARPACK's residual norms, which are rounding noise (≈1e-15 absolute) and so
 * agree in size, not in digits.
 */
class ReportEqualityTest {
  static final double TOL = 1e-10;
  /** Below this a value is rounding noise (a null-space eigenvalue, a residual): compared absolutely. */
  static final double FLOOR = 1e-12;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** 57 rows of 4 features and 2 regression targets y0, y1 from {@code net} (4 inputs, 2 outputs), as data.csv in dir. */
  static Path regressionCsv(Path dir, Network net) throws java.io.IOException {
    int n = 57;
    double[] x = Nets.features(n, 4, 1.0, 11);
    double[] y = Nets.targets(net, n, 12);
    Path csv = dir.resolve("data.csv");
    Csv.write(csv, Dataset.regression(x, n, 4, y, 2, null, List.of("y0", "y1")));
    return csv;
  }

  @Test
  void csvRegressionReportEqualsTheLocalOne() throws Exception {
    Network net = Nets.mlp(4, 6, 5, 2, Activation.TANH, "mse");
    Path csv = regressionCsv(dir, net);
    // top 4, not 3: the last layer's eigenvalues come in exact pairs (mse over 2 outputs: (2/C) I ⊗ C_xx), and a
    // top-3 would cut a 2-dimensional eigenspace, whose third vector (and so gradient_overlap_top) is arbitrary
    // and 5 SLQ steps: the same pairs leave the last layer's 12 dimensions at most 6 distinct eigenvalues, so its
    // Krylov space breaks down after 6 steps, past which the Lanczos weights are rounding noise (the partitioning's)
    String[] common = files(net, 1, "--data", csv.toString(), "--target", "y0,y1", "--top", "4", "--bottom", "2",
        "--density", "--slq-steps", "5", "--slq-probes", "3", "--seed", "5");
    compareReports(common, "--partitions", "3");
  }

  /**
   * Blocks over 128 parameters, whose trace both take from the dense layer's per-sample structure: the estimate
   * (30 outputs, with its standard error) and the exact value (10 outputs). The file's splits keep the rows in order,
   * and so does --partitions, so every row gets the probes it gets on one machine.
   */
  @Test
  void perSampleTracesEqualTheLocalOnes() throws Exception {
    Network net = Nets.mlp(4, 30, 10, 2, Activation.TANH, "mse");
    Path csv = regressionCsv(dir, net);
    String[] args = files(net, 6, "--data", csv.toString(), "--target", "y0,y1", "--top", "0", "--layers", "0,2",
        "--seed", "3");
    JsonNode local = runLocal(args);
    JsonNode spark = runSpark(TestSpark.session(), dir, args, new StringWriter(), false);
    assertTrue(spark.at("/provenance/spark/partitions").asInt() >= 2, "the file read as several partitions");
    List<String> more = new ArrayList<>(List.of(args));
    more.addAll(List.of("--partitions", "3"));
    JsonNode repartitioned = runSpark(TestSpark.session(), dir, more.toArray(String[]::new), new StringWriter(), false);
    assertEquals(3, repartitioned.at("/provenance/spark/partitions").asInt());
    assertEquals("per-sample", local.at("/layers/0/trace_source").asText());
    assertEquals("per-sample-exact", local.at("/layers/1/trace_source").asText());
    assertTrue(local.at("/layers/0/trace_standard_error").asDouble() > 0, local.at("/layers/0").toString());
    compare(local, spark);
    compare(local, repartitioned);
  }

  /**
   * A ReLU net's hidden layers (30 and 10 outputs, 2 network outputs): the Hessian's exact trace from the output side
   * (M_n = J_nᵀ Λ_n J_n, DenseLayerTrace), Spark's partitions on the same route as one machine.
   */
  @Test
  void outputSideExactTracesEqualTheLocalOnes() throws Exception {
    Network net = Nets.mlp(4, 30, 10, 2, Activation.RELU, "mse");
    Path csv = regressionCsv(dir, net);
    String[] args = files(net, 6, "--data", csv.toString(), "--target", "y0,y1", "--top", "0", "--layers", "0,2",
        "--seed", "3");
    JsonNode local = runLocal(args);
    JsonNode spark = runSpark(TestSpark.session(), dir, args, new StringWriter(), false);
    assertTrue(spark.at("/provenance/spark/partitions").asInt() >= 2, "the file read as several partitions");
    for (int l = 0; l < 2; l++) {
      assertEquals("per-sample-exact", local.at("/layers/" + l + "/trace_source").asText(), local.at("/layers/" + l).toString());
    }
    compare(local, spark);
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
    // streaming (no partition keeps its forward data), as the local run: the same numbers, "ran": "none" on both
    String[] common = files(net, 2, "--data", svm.toString(), "--top", "2", "--layers", "2,4", "--curvature", "ggn",
        "--curvature-cache", "none", "--batch", "5");
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

  /**
   * Labels sorted by class across part files (a directory Spark reads as 7 partitions): most partitions lack most
   * classes, so a per-partition numbering would differ from the whole file's. Numbers, names and class indices.
   */
  @Test
  void csvClassificationSortedByLabelInSevenPartsReportEqualsTheLocalOne() throws Exception {
    for (String[] raw : List.of(new String[] {"-1", "2.0", "7"}, new String[] {"emu", "cat", "dog"},
        new String[] {"0", "2.0", "2"})) {  // the last: class indices 0 and 2 of 3 outputs, kept as such by both
      Network net = Nets.mlp(3, 5, 4, 3, Activation.TANH, "cross_entropy");
      int n = 42;
      double[] x = Nets.features(n, 3, 1.0, 41);
      java.util.SplittableRandom r = new java.util.SplittableRandom(42);
      List<String> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        rows.add(raw[r.nextInt(3)] + "," + x[i * 3] + "," + x[i * 3 + 1] + "," + x[i * 3 + 2]);
      }
      // sorted by label as Csv numbers them: numerically for numbers, as strings for names
      List<String> order = Csv.classOrder(List.of(raw));
      rows.sort(java.util.Comparator.comparingInt(line -> {
        String l = line.substring(0, line.indexOf(','));
        return order.indexOf(l.equals("2.0") ? "2" : l);
      }));
      String header = "label,a,b,c";
      Path one = dir.resolve("whole-" + raw[0] + ".csv");
      Files.writeString(one, header + "\n" + String.join("\n", rows) + "\n");
      Path parts = Files.createDirectory(dir.resolve("parts-" + raw[0] + ".csv"));
      for (int p = 0; p < 7; p++) {
        Files.writeString(parts.resolve(String.format("part-%05d.csv", p)),
            header + "\n" + String.join("\n", rows.subList(p * n / 7, (p + 1) * n / 7)) + "\n");
      }
      String[] local = files(net, 4, "--data", one.toString(), "--target", "label", "--top", "3", "--bottom", "1");
      String[] spark = files(net, 4, "--data", parts.toString(), "--target", "label", "--top", "3", "--bottom", "1");
      JsonNode s = runSpark(spark);
      assertEquals(7, s.at("/provenance/spark/partitions").asInt(), "one partition per part file");
      compare(runLocal(local), s);
    }
  }

  /**
   * A run of {@code hesse train} (regression: features and targets standardised, standardizer.json next to
   * model.json): the Spark report applies the same preprocessing, as the CLI does by default, and says so.
   */
  @Test
  void aTrainedRunsStandardizerIsAppliedAsByTheCli() throws Exception {
    int n = 60;
    double[] x = Nets.features(n, 3, 1.0, 51);
    double[] y = new double[n * 2];
    for (int i = 0; i < n; i++) {
      x[i * 3] = 100 + 20 * x[i * 3];  // far from standardised: a skipped standardisation shows
      y[2 * i] = 50 + 3 * x[i * 3 + 1];
      y[2 * i + 1] = -7 + x[i * 3 + 2] * x[i * 3];
    }
    Path csv = dir.resolve("reg.csv");
    Csv.write(csv, Dataset.regression(x, n, 3, y, 2, null, List.of("y0", "y1")));
    Path run = dir.resolve("run");
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "train", "--data", csv.toString(),
        "--target", "y0,y1", "--task", "regression", "--model", "mlp:4", "--epochs", "3", "--out", run.toString());
    assertEquals(0, code, "hesse train failed: " + err);
    Path st = run.resolve("standardizer.json");
    assertTrue(JSON.readTree(st.toFile()).has("target_scale"), "train standardised the targets");
    String[] common = {"--model", run.resolve("model.json").toString(), "--weights", run.resolve("model.safetensors").toString(),
        "--data", csv.toString(), "--target", "y0,y1", "--top", "2"};
    JsonNode local = runLocal(common);
    StringWriter sparkErr = new StringWriter();
    JsonNode spark = runSpark(TestSpark.session(), dir, common, sparkErr);
    compare(local, spark);
    assertEquals("standardised (" + st.toAbsolutePath() + ")", spark.get("features").asText());
    assertTrue(spark.get("targets").asText().startsWith("standardised"), spark.get("targets").asText());
    assertTrue(sparkErr.toString().contains("hesse: applying the run's preprocessing " + st.toAbsolutePath()), sparkErr.toString());
    // and --standardizer none gives the data as they are, as on one machine (a different loss)
    List<String> none = new ArrayList<>(List.of(common));
    none.addAll(List.of("--standardizer", "none"));
    JsonNode localNone = runLocal(none.toArray(String[]::new));
    JsonNode sparkNone = runSpark(none.toArray(String[]::new));
    compare(localNone, sparkNone);
    assertEquals("as given", sparkNone.get("features").asText());
    assertTrue(Math.abs(sparkNone.get("loss").asDouble() - spark.get("loss").asDouble()) > 1e-3 * spark.get("loss").asDouble(),
        "the standardisation changes the loss");
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
    return runSpark(session, dir, args, new StringWriter());
  }

  static JsonNode runSpark(org.apache.spark.sql.SparkSession session, Path dir, String[] args, StringWriter err) throws Exception {
    return runSpark(session, dir, args, err, true);
  }

  /** As above; {@code products}: whether the report must record distributed products (not for a trace alone). */
  static JsonNode runSpark(org.apache.spark.sql.SparkSession session, Path dir, String[] args, StringWriter err,
                           boolean products) throws Exception {
    Path out = dir.resolve("spark.json");
    List<String> a = new ArrayList<>(List.of(args));
    a.addAll(List.of("--out", out.toString()));
    int code = SparkSpectrum.run(session, new PrintWriter(new StringWriter()), new PrintWriter(err),
        a.toArray(String[]::new));
    assertEquals(0, code, "SparkSpectrum failed: " + err);
    JsonNode r = JSON.readTree(out.toFile());
    assertTrue(!products || r.at("/provenance/spark/products").asLong() > 0, "no distributed product recorded: " + r.at("/provenance"));
    return r;
  }

  static final Set<String> SKIPPED = Set.of("residuals");

  static void compare(JsonNode local, JsonNode spark) {
    assertTrue(local.get("layers").size() > 0, "no layers in the local report");
    assertEquals(keys(local), keys(spark), "top-level keys");
    List<String> sparkProvenance = keys(spark.get("provenance"));
    assertTrue(sparkProvenance.remove("spark"), "Spark's provenance has its spark object");
    assertEquals(keys(local.get("provenance")), sparkProvenance, "provenance keys (but Spark's own)");
    // the curvature cache: the CLI's keys; option, what ran and the whole cache's size as on one machine (the batch
    // counts are over the partitions' own batches)
    JsonNode localCache = local.at("/provenance/curvature_cache");
    JsonNode sparkCache = spark.at("/provenance/curvature_cache");
    assertEquals(keys(localCache), keys(sparkCache), "curvature_cache keys");
    for (String k : List.of("option", "ran", "estimated_bytes_all")) assertEquals(localCache.get(k), sparkCache.get(k), k);
    for (String top : keys(local)) {
      if (!top.equals("provenance")) compare(local.get(top), spark.get(top), top);
    }
  }

  static List<String> keys(JsonNode o) {
    List<String> k = new ArrayList<>();
    o.fieldNames().forEachRemaining(k::add);
    return k;
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
