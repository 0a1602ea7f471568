package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.hesse.data.BundledDatasets;
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.io.Tensor;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run directory as the front door: train/analyze's --out rules, spectrum --run and the automatic
 * standardizer, the mismatch warnings, standardised regression targets, numerical failures, progress and logging.
 */
class RunDirCommandTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {
    List<String> errLines() {
      List<String> l = new ArrayList<>(err.lines().toList());
      l.removeIf(String::isBlank);
      return l;
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  static JsonNode json(String s) throws Exception {
    return new ObjectMapper().readTree(s);
  }

  /** The last row's train_loss of a run's metrics.csv (the trainer's own evaluation over all training rows). */
  static double lastTrainLoss(Path run) throws Exception {
    List<java.util.Map<String, String>> rows = CsvRows.read(run.resolve("metrics.csv"));
    return Double.parseDouble(rows.get(rows.size() - 1).get("train_loss"));
  }

  Path train(String name, String... extra) {
    Path dir = tmp.resolve(name);
    List<String> a = new ArrayList<>(List.of("train", "--model", "mlp:8", "--epochs", "3", "--validation", "0", "--out",
        dir.toString()));
    a.addAll(List.of(extra));
    Run r = run(a.toArray(new String[0]));
    assertEquals(0, r.code(), r.err());
    return dir;
  }

  @Test
  void spectrumOfARunAppliesItsPreprocessingAndSaysSo() throws Exception {
    Path dir = train("iris", "--dataset", "iris");
    double trainLoss = lastTrainLoss(dir);
    // --run: model, weights, standardizer and the data of config.json; its loss is the trainer's over the same rows
    Run viaRun = run("spectrum", "--run", dir.toString(), "--top", "1");
    assertEquals(0, viaRun.code(), viaRun.err());
    assertEquals(trainLoss, json(viaRun.out()).get("loss").asDouble(), 1e-12 * trainLoss);
    assertTrue(viaRun.err().contains("applying the run's preprocessing"), viaRun.err());
    assertTrue(viaRun.err().contains("data from"), viaRun.err());
    // --model inside a run directory: the standardizer next to it is applied too (one line on stderr)
    String[] byModel = {"spectrum", "--model", dir.resolve("model.json").toString(), "--weights",
        dir.resolve("model.safetensors").toString(), "--dataset", "iris", "--top", "1"};
    Run auto = run(byModel);
    assertEquals(0, auto.code(), auto.err());
    assertEquals(trainLoss, json(auto.out()).get("loss").asDouble(), 1e-12 * trainLoss);
    assertEquals(1, auto.errLines().size(), auto.err());
    // opting out gives the raw features to a model trained on standardised ones: another loss, and a warning
    Run raw = run(SpectrumCommandTest.concat(byModel, "--standardizer", "none"));
    assertEquals(0, raw.code(), raw.err());
    assertNotEquals(trainLoss, json(raw.out()).get("loss").asDouble(), 1e-3);
    assertTrue(raw.err().contains("warning: the model was trained on standardised data"), raw.err());
    // a bad input gets its error line alone (no notes before it), and no report
    Path report = tmp.resolve("r.json");
    Run bad = run("spectrum", "--run", dir.toString(), "--layers", "7", "--out", report.toString());
    assertEquals(2, bad.code());
    assertEquals(1, bad.errLines().size(), bad.err());
    assertTrue(bad.err().startsWith("hesse: error: --layers: unknown layer '7'"), bad.err());
    assertFalse(Files.exists(report));
  }

  @Test
  void regressionTargetsAreStandardisedInTrainingAndInTheRunsSpectrum() throws Exception {
    Path dir = train("diabetes", "--dataset", "diabetes", "--lr", "0.01");
    Dataset d = BundledDatasets.load("diabetes");
    // with --validation 0 the training split is every row: the stored target transform is their mean and population sd
    double mean = Arrays.stream(d.targets()).average().orElseThrow();
    double sd = Math.sqrt(Arrays.stream(d.targets()).map(v -> (v - mean) * (v - mean)).sum() / d.size());
    JsonNode st = json(Files.readString(dir.resolve("standardizer.json")));
    assertEquals(mean, st.get("target_mean").get(0).asDouble(), 1e-12 * mean);
    assertEquals(sd, st.get("target_scale").get(0).asDouble(), 1e-12 * sd);
    assertTrue(st.get("note").asText().contains("y = y' * target_scale + target_mean"));
    assertTrue(json(Files.readString(dir.resolve("config.json"))).get("standardize_targets").asBoolean());
    // training on the standardised scale decreases the loss (on raw targets, the defaults diverged: 29,375 -> 107,698)
    List<java.util.Map<String, String>> rows = CsvRows.read(dir.resolve("metrics.csv"));
    double first = Double.parseDouble(rows.get(0).get("train_loss"));
    double last = lastTrainLoss(dir);
    assertTrue(last < first && last < 1.0, first + " -> " + last);
    // spectrum --run evaluates on the same scale: the trainer's final loss
    Run s = run("spectrum", "--run", dir.toString(), "--top", "1");
    assertEquals(0, s.code(), s.err());
    assertEquals(last, json(s.out()).get("loss").asDouble(), 1e-12 * last);
    assertTrue(json(s.out()).get("targets").asText().startsWith("standardised"), s.out());
    // and the opt-out keeps the raw targets, with no target transform stored
    Path rawDir = train("diabetes-raw", "--dataset", "diabetes", "--lr", "0.01", "--no-standardize-targets");
    assertFalse(json(Files.readString(rawDir.resolve("standardizer.json"))).has("target_mean"));
  }

  @Test
  void dataUnlikeTheTrainingDataAreWarnedAbout() throws Exception {
    Path dir = train("iris", "--dataset", "iris");
    Dataset iris = BundledDatasets.load("iris");
    String label = iris.targetNames().get(0);
    Path rawCsv = tmp.resolve("iris-raw.csv");
    Csv.write(rawCsv, iris);
    Run same = run("spectrum", "--run", dir.toString(), "--data", rawCsv.toString(), "--target", label, "--top", "1");
    assertEquals(0, same.code(), same.err());
    // another name (a file, not 'iris'): warned; same statistics: no statistics warning
    assertTrue(same.err().contains("warning: the model was trained on 'iris'"), same.err());
    assertFalse(same.err().contains("do not look like"), same.err());
    // already standardised data, standardised again by the run: means ~ -mean/scale training SDs away
    Path stdCsv = tmp.resolve("iris-std.csv");
    Csv.write(stdCsv, Standardizer.fit(iris).apply(iris));
    Run twice = run("spectrum", "--run", dir.toString(), "--data", stdCsv.toString(), "--target", label, "--top", "1");
    assertEquals(0, twice.code(), twice.err());
    assertTrue(twice.err().contains("warning: the data do not look like the training data"), twice.err());
    // the rule itself on one feature out of many: under the share, no warning
    double[] x = new double[20 * 50];
    for (int i = 0; i < x.length; i++) x[i] = (i * 7919 % 101) / 50.0 - 1;
    Dataset many = Dataset.regression(x, 50, 20, new double[50], 1, null, List.of("y"));
    Standardizer fitted = Standardizer.fit(many);
    double[] shifted = x.clone();
    for (int i = 0; i < 50; i++) shifted[i * 20 + 3] += 100;
    assertTrue(Mismatch.ofFeatures(fitted, many.withFeatures(shifted), tmp).isEmpty());
    for (int i = 0; i < 50; i++) for (int j = 0; j < 3; j++) shifted[i * 20 + j] += 100;
    assertEquals(1, Mismatch.ofFeatures(fitted, many.withFeatures(shifted), tmp).size());
  }

  @Test
  void aNonFiniteLossIsANumericalFailureAndWritesNothing() throws Exception {
    Path dir = train("iris", "--dataset", "iris");
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    double[] theta = ModelFiles.readParameters(net, dir.resolve("model.safetensors"));
    Arrays.fill(theta, Double.MAX_VALUE);   // finite weights whose sums overflow: the loss is not a number
    Path w = tmp.resolve("huge.safetensors");
    ModelFiles.writeParameters(net, theta, w);
    Path out = tmp.resolve("report.json");
    Run r = run("spectrum", "--model", dir.resolve("model.json").toString(), "--weights", w.toString(), "--dataset",
        "iris", "--out", out.toString());
    assertEquals(HesseCli.EXIT_NUMERICAL, r.code(), r.err());
    assertTrue(r.errLines().get(r.errLines().size() - 1).startsWith("hesse: error: numerical failure: the loss"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void trainRefusesAnExistingRunUnlessForcedAndBadOptionsNameTheOption() throws Exception {
    Path dir = train("iris", "--dataset", "iris");
    byte[] before = Files.readAllBytes(dir.resolve("model.safetensors"));
    Run again = run("train", "--dataset", "iris", "--epochs", "1", "--out", dir.toString());
    assertEquals(2, again.code());
    assertEquals(1, again.errLines().size(), again.err());
    assertTrue(again.err().contains("--out") && again.err().contains("--force"), again.err());
    assertEquals(Arrays.toString(before), Arrays.toString(Files.readAllBytes(dir.resolve("model.safetensors"))));
    Run forced = run("train", "--dataset", "iris", "--epochs", "1", "--out", dir.toString(), "--force");
    assertEquals(0, forced.code(), forced.err());

    Path none = tmp.resolve("never");
    assertBad(none, "--act: unknown activation 'relux'; expected one of tanh, relu", "--dataset", "iris", "--act", "relux");
    assertBad(none, "--dataset: unknown data set 'irsi'", "--dataset", "irsi");
    assertBad(none, "--init: unknown initialiser", "--dataset", "iris", "--init", "he");
    Path csv = tmp.resolve("d.csv");
    Csv.write(csv, BundledDatasets.load("iris"));
    assertBad(none, "--target: a column is listed twice", "--data", csv.toString(), "--target", "a,a");
    assertBad(none, "--target: classification takes one label column", "--data", csv.toString(), "--target", "a,b");
    // every activation --act offers is a layer type the model builder knows
    for (String act : TrainCommand.TrainingOptions.ACTIVATIONS) {
      ModelFiles.network(new ModelSpec(3, "mse", List.of(org.hesse.io.LayerSpec.dense(2), org.hesse.io.LayerSpec.of(act))));
    }
  }

  @Test
  void aModelTooDeepToBuildIsBadInputNamingTheOption() {
    // the real case (thousands of nested residual blocks) overflows the stack inside the builder's recursion
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> CliData.network(() -> { throw new StackOverflowError(); }, "--model", Path.of("deep.json")));
    assertTrue(e.getMessage().startsWith("--model: deep.json: the model is nested too deeply"), e.getMessage());
    assertEquals(HesseCli.EXIT_BAD_INPUT, HesseCli.exitCode(e));
  }

  static void assertBad(Path out, String mention, String... args) {
    List<String> a = new ArrayList<>(List.of("train", "--out", out.toString()));
    a.addAll(List.of(args));
    Run r = run(a.toArray(new String[0]));
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("hesse: error: " + mention), r.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void noValidationMeansNoValidationLossNotNaN() throws Exception {
    Path dir = tmp.resolve("noval");
    Run r = run("train", "--dataset", "iris", "--epochs", "2", "--validation", "0", "--out", dir.toString());
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().contains("NaN"), r.out());
    assertFalse(r.out().contains("val loss") || r.out().contains("validation"), r.out());
    assertTrue(r.out().contains("done: train loss"), r.out());
  }

  @Test
  void progressIsSilentWhenNotATerminalOrQuiet() throws Exception {
    PrintStream saved = System.err;
    String savedProp = System.getProperty("hesse.progress");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      System.setErr(capture);
      // not a terminal (the launcher did not say so): nothing on stderr
      System.clearProperty("hesse.progress");
      Run plain = run("train", "--dataset", "iris", "--epochs", "2", "--out", tmp.resolve("a").toString());
      assertEquals(0, plain.code(), plain.err());
      assertEquals("", plain.err());
      assertEquals("", buf.toString(StandardCharsets.UTF_8));
      assertEquals(3, plain.out().lines().filter(l -> l.startsWith("epoch ")).count(), plain.out());
      // a terminal but --quiet: nothing either
      System.setProperty("hesse.progress", "tty");
      Run quiet = run("--quiet", "train", "--dataset", "iris", "--epochs", "2", "--out", tmp.resolve("b").toString());
      assertEquals(0, quiet.code(), quiet.err());
      assertEquals("", buf.toString(StandardCharsets.UTF_8));
      // a terminal: the bar, on stderr, and no per-epoch lines on stdout
      Run bar = run("train", "--dataset", "iris", "--epochs", "2", "--out", tmp.resolve("c").toString());
      assertEquals(0, bar.code(), bar.err());
      assertTrue(buf.toString(StandardCharsets.UTF_8).contains("train 100%"), buf.toString(StandardCharsets.UTF_8));
      assertEquals(0, bar.out().lines().filter(l -> l.startsWith("epoch ")).count(), bar.out());
    } finally {
      System.setErr(saved);
      if (savedProp == null) System.clearProperty("hesse.progress");
      else System.setProperty("hesse.progress", savedProp);
      Progress.configure(false);
    }
  }

  @Test
  void infoRecordsAreSilentUnlessVerbose() {
    Logger ours = Logger.getLogger("org.hesse.linalg.Linalg");
    Logger netlib = Logger.getLogger("dev.ludovic.netlib.blas");
    try {
      HesseCli.configureLogging(false);
      assertFalse(ours.isLoggable(Level.INFO));
      assertFalse(netlib.isLoggable(Level.INFO));
      assertTrue(ours.isLoggable(Level.WARNING));
      HesseCli.configureLogging(true);
      assertTrue(ours.isLoggable(Level.INFO));
      assertTrue(netlib.isLoggable(Level.INFO));
    } finally {
      HesseCli.configureLogging(false);
    }
  }
}
