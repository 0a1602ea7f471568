package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.hesse.eigen.DenseEigen;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AnalyzeCommandTest {
  /** A small, fast run: iris, one hidden layer of 8, 6 epochs, checkpoints at 0, 2, 4, 6. */
  static final String[] BASE = {"--dataset", "iris", "--model", "mlp:8", "--batch", "16", "--lr", "0.05", "--seed", "3"};
  static final String[] ANALYSIS = {"--every", "2", "--top", "3", "--slq-steps", "20", "--slq-probes", "2"};

  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(java.util.function.Consumer<CommandLine> setup, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = HesseCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
    if (setup != null) setup.accept(cl);
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static String[] args(String cmd, Path dir, int epochs, String... extra) {
    List<String> a = new ArrayList<>(List.of(cmd));
    a.addAll(List.of(BASE));
    if (cmd.equals("analyze")) a.addAll(List.of(ANALYSIS));
    a.addAll(List.of("--epochs", Integer.toString(epochs), "--out", dir.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  static Run analyze(Path dir, int epochs, String... extra) {
    return run(null, args("analyze", dir, epochs, extra));
  }

  static double[] weights(Path dir, String file) throws Exception {
    Network net = ModelFiles.network(ModelSpec.read(dir.resolve("model.json")));
    return ModelFiles.readParameters(net, dir.resolve(file));
  }

  static List<String> csvRows(Path file) throws Exception {
    List<String> l = new ArrayList<>(Files.readAllLines(file));
    l.removeIf(String::isBlank);
    return l;
  }

  static JsonNode json(Path file) throws Exception {
    return new ObjectMapper().readTree(Files.readString(file));
  }

  static List<Integer> epochs(JsonNode spectra) {
    List<Integer> e = new ArrayList<>();
    for (JsonNode c : spectra.get("checkpoints")) e.add(c.get("epoch").asInt());
    return e;
  }

  @Test
  void writesARunDirectoryWhoseFilesParseAndAgree() throws Exception {
    Path dir = tmp.resolve("run");
    Run r = analyze(dir, 6);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("checkpoint 4 (epoch 6)"), r.out());
    for (String f : List.of("config.json", "model.json", "model.safetensors", "metrics.csv", "training.csv", "spectra.json",
        "diagnostics.json", "report.html")) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    JsonNode config = json(dir.resolve("config.json"));
    assertEquals(6, config.get("epochs").asInt());
    assertEquals(120, config.get("analysis").get("probe_samples").asInt());   // iris: 150 rows, 20% validation
    JsonNode spectra = json(dir.resolve("spectra.json"));
    assertEquals(List.of(0, 2, 4, 6), epochs(spectra));
    for (int e : List.of(0, 2, 4, 6)) assertTrue(Files.exists(AnalyzeFiles.checkpointWeights(dir, e)), "weights of epoch " + e);

    // metrics.csv: checkpoints × parametrised layers (mlp:8 has dense layers 0 and 2), every row as wide as the header.
    List<String> rows = csvRows(dir.resolve("metrics.csv"));
    assertEquals(String.join(",", AnalyzeFiles.COLUMNS), rows.get(0));
    assertEquals(4 * 2, rows.size() - 1);
    for (String row : rows.subList(1, rows.size())) assertEquals(AnalyzeFiles.COLUMNS.size(), row.split(",", -1).length, row);

    // The losses agree with the trainer's own per-epoch record, and the gap is their difference.
    List<String> training = csvRows(dir.resolve("training.csv"));
    List<String> th = Arrays.asList(training.get(0).split(","));
    String[] t6 = training.stream().filter(l -> l.startsWith("6,")).findFirst().orElseThrow().split(",");
    String[] m6 = rows.get(rows.size() - 1).split(",", -1);
    double trainLoss = Double.parseDouble(m6[AnalyzeFiles.COLUMNS.indexOf("train_loss")]);
    double valLoss = Double.parseDouble(m6[AnalyzeFiles.COLUMNS.indexOf("val_loss")]);
    assertEquals(Double.parseDouble(t6[th.indexOf("train_loss")]), trainLoss, 1e-12 * Math.abs(trainLoss));
    assertEquals(Double.parseDouble(t6[th.indexOf("val_loss")]), valLoss, 1e-12 * Math.abs(valLoss));
    assertEquals(valLoss - trainLoss, Double.parseDouble(m6[AnalyzeFiles.COLUMNS.indexOf("gap")]), 1e-12);
    assertEquals("slq", m6[AnalyzeFiles.COLUMNS.indexOf("metrics_source")]);

    // The final model is the last checkpoint's weights.
    assertArrayEquals(weights(dir, "checkpoints/epoch-0006.safetensors"), weights(dir, "model.safetensors"));
    JsonNode diag = json(dir.resolve("diagnostics.json"));
    assertEquals(org.hesse.cli.report.Diagnostics.rules().size(), diag.get("rules").size()); // the calibrated rules and the unsupported ones
    assertTrue(diag.get("findings").isArray());
    String html = Files.readString(dir.resolve("report.html"));
    assertTrue(html.contains("Status: complete"), "report status");
  }

  /**
   * λ_max of the output layer at the last checkpoint against an independent dense computation: the block Hessian
   * assembled from central finite differences of the network's gradient on the whole (standardised) training
   * set, eigenvalues by LAPACK.
   */
  @Test
  void lambdaMaxMatchesAFiniteDifferenceHessian() throws Exception {
    Path dir = tmp.resolve("fd");
    assertEquals(0, analyze(dir, 2).code());
    AnalyzeCommand cmd = new AnalyzeCommand();
    new CommandLine(cmd).parseArgs(Arrays.copyOfRange(args("analyze", dir, 2), 1, args("analyze", dir, 2).length));
    TrainCommand.Prepared p = cmd.opts.prepare();
    Network net = p.net;
    double[] theta = weights(dir, "checkpoints/epoch-0002.safetensors");
    int layer = 2;
    int off = net.offset(layer);
    int n = net.layer(layer).paramCount();
    int rows = p.trainX.length / net.inputSize();
    var ws = net.newWorkspace(rows);
    double[] h = new double[n * n];
    double eps = 1e-5;
    double[] gp = new double[net.paramCount()];
    double[] gm = new double[net.paramCount()];
    for (int j = 0; j < n; j++) {
      double[] t = theta.clone();
      t[off + j] = theta[off + j] + eps;
      Arrays.fill(gp, 0);
      System.arraycopy(p.trainX, 0, ws.input(), 0, p.trainX.length);
      net.lossAndGradient(t, ws, p.trainY, rows, 1.0 / rows, gp);
      t[off + j] = theta[off + j] - eps;
      Arrays.fill(gm, 0);
      System.arraycopy(p.trainX, 0, ws.input(), 0, p.trainX.length);
      net.lossAndGradient(t, ws, p.trainY, rows, 1.0 / rows, gm);
      for (int i = 0; i < n; i++) h[i * n + j] = (gp[off + i] - gm[off + i]) / (2 * eps);
    }
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
    double[] eig = DenseEigen.all(h, n, false).eigenvalues();
    double fdMax = eig[n - 1];
    List<String> metrics = csvRows(dir.resolve("metrics.csv"));
    String[] last = metrics.get(metrics.size() - 1).split(",", -1);
    assertEquals("2", last[AnalyzeFiles.COLUMNS.indexOf("layer")]);
    double lmax = Double.parseDouble(last[AnalyzeFiles.COLUMNS.indexOf("lambda_max")]);
    // Central differences: O(eps²) truncation plus rounding ~1e-16/eps; 1e-6 relative covers both.
    assertEquals(fdMax, lmax, 1e-6 * Math.abs(fdMax));
  }

  @Test
  void analysisDoesNotPerturbTraining() throws Exception {
    Path plain = tmp.resolve("train");
    Path analysed = tmp.resolve("analyze");
    Run t = run(null, args("train", plain, 6));
    assertEquals(0, t.code(), t.err());
    Run a = analyze(analysed, 6);
    assertEquals(0, a.code(), a.err());
    double[] wt = weights(plain, "model.safetensors");
    double[] wa = weights(analysed, "model.safetensors");
    assertArrayEquals(wt, wa, 0.0);   // bit for bit (assertArrayEquals with delta 0 compares exactly)
    for (int i = 0; i < wt.length; i++) assertEquals(Double.doubleToRawLongBits(wt[i]), Double.doubleToRawLongBits(wa[i]));
    // And a different seed gives different weights (so the comparison above can fail).
    Path other = tmp.resolve("other");
    List<String> a2 = new ArrayList<>(List.of(args("train", other, 6)));
    a2.set(a2.indexOf("--seed") + 1, "4");
    assertEquals(0, run(null, a2.toArray(new String[0])).code());
    assertFalse(Arrays.equals(wt, weights(other, "model.safetensors")));
  }

  @Test
  void aCrashLeavesFinishedCheckpointsReadableAndResumeReachesTheSameRun() throws Exception {
    Path full = tmp.resolve("full");
    assertEquals(0, analyze(full, 6).code());

    Path crashed = tmp.resolve("crashed");
    Run c = run(cl -> ((AnalyzeCommand) cl.getSubcommands().get("analyze").getCommand()).afterCheckpoint = e -> {
      if (e == 2) throw new IllegalStateException("simulated crash after epoch " + e);
    }, args("analyze", crashed, 6));
    assertNotEquals(0, c.code());
    assertTrue(c.err().contains("simulated crash"), c.err());
    JsonNode spectra = json(crashed.resolve("spectra.json"));
    assertEquals(List.of(0, 2), epochs(spectra));
    assertEquals(1 + 2 * 2, csvRows(crashed.resolve("metrics.csv")).size());
    assertTrue(json(crashed.resolve("diagnostics.json")).get("findings").isArray());
    assertTrue(Files.readString(crashed.resolve("report.html")).contains("in progress"));
    assertFalse(Files.exists(crashed.resolve("model.safetensors")));
    try (Stream<Path> s = Files.list(crashed)) {
      assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary files left");
    }

    Run r = analyze(crashed, 6, "--resume");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("replayed weights at epoch 2 are identical"), r.out());
    assertArrayEquals(weights(full, "model.safetensors"), weights(crashed, "model.safetensors"), 0.0);
    // Same seeds everywhere: the resumed run's metrics are the uninterrupted run's, byte for byte.
    assertEquals(Files.readString(full.resolve("metrics.csv")), Files.readString(crashed.resolve("metrics.csv")));
    assertEquals(List.of(0, 2, 4, 6), epochs(json(crashed.resolve("spectra.json"))));
  }

  @Test
  void aRefusedResumeLeavesTheRunsFilesAsTheyWere() throws Exception {
    Path crashed = tmp.resolve("tampered");
    Run c = run(cl -> ((AnalyzeCommand) cl.getSubcommands().get("analyze").getCommand()).afterCheckpoint = e -> {
      if (e == 2) throw new IllegalStateException("simulated crash after epoch " + e);
    }, args("analyze", crashed, 6));
    assertNotEquals(0, c.code());
    // epoch 2's saved weights replaced by epoch 0's: the replay cannot match them
    Files.copy(AnalyzeFiles.checkpointWeights(crashed, 0), AnalyzeFiles.checkpointWeights(crashed, 2),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    byte[] config = Files.readAllBytes(crashed.resolve(AnalyzeFiles.CONFIG));
    byte[] model = Files.readAllBytes(crashed.resolve("model.json"));
    Run r = analyze(crashed, 8, "--resume");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("replayed weights at epoch 2 differ"), r.err());
    assertArrayEquals(config, Files.readAllBytes(crashed.resolve(AnalyzeFiles.CONFIG)), "config.json rewritten by a refused --resume");
    assertArrayEquals(model, Files.readAllBytes(crashed.resolve("model.json")));
  }

  @Test
  void resumeWithMoreEpochsContinuesAShorterRun() throws Exception {
    Path full = tmp.resolve("full");
    assertEquals(0, analyze(full, 6).code());
    Path grown = tmp.resolve("grown");
    assertEquals(0, analyze(grown, 4).code());
    assertEquals(List.of(0, 2, 4), epochs(json(grown.resolve("spectra.json"))));
    Run r = analyze(grown, 6, "--resume");
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(weights(full, "model.safetensors"), weights(grown, "model.safetensors"), 0.0);
    assertEquals(Files.readString(full.resolve("metrics.csv")), Files.readString(grown.resolve("metrics.csv")));
  }

  @Test
  void resumeRefusesChangedOptionsAndAFreshRunRefusesAnExistingOne() {
    Path dir = tmp.resolve("run");
    assertEquals(0, analyze(dir, 2).code());
    Run again = analyze(dir, 2);
    assertEquals(2, again.code());
    assertTrue(again.err().contains("--resume") && again.err().contains("--force"), again.err());
    assertEquals(0, analyze(dir, 2, "--force").code());
    Run changed = analyze(dir, 4, "--resume", "--momentum", "0.5");
    assertEquals(2, changed.code());
    assertTrue(changed.err().contains("momentum"), changed.err());
    Run fewer = analyze(dir, 1, "--resume");
    assertEquals(2, fewer.code());
    assertTrue(fewer.err().contains("--epochs"), fewer.err());
    // --resume of a directory with no run in it starts one, and ends where a fresh run does
    Run none = analyze(tmp.resolve("empty"), 2, "--resume");
    assertEquals(0, none.code(), none.err());
    assertTrue(none.out().contains("starting the run afresh"), none.out());
    assertEquals(0, analyze(tmp.resolve("fresh"), 2).code());
    try {
      // weights and checkpoints, not spectra bytes: those repeat only where the BLAS kernels do (not Prescott's)
      assertArrayEquals(weights(tmp.resolve("fresh"), "model.safetensors"), weights(tmp.resolve("empty"), "model.safetensors"), 0.0);
      assertEquals(epochs(json(tmp.resolve("fresh").resolve("spectra.json"))), epochs(json(tmp.resolve("empty").resolve("spectra.json"))));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void badAnalysisOptionsAreOneLineErrors() {
    Run every = analyze(tmp.resolve("a"), 2, "--every", "0");
    assertEquals(2, every.code());
    assertTrue(every.err().contains("--every"), every.err());
    Run curv = analyze(tmp.resolve("b"), 2, "--curvature", "fisher");
    assertEquals(2, curv.code());
    assertTrue(curv.err().contains("fisher"), curv.err());
  }

  @Test
  void probeRowsAreASeededSortedSubsetOrTheWholeSet() {
    int[] all = AnalyzeCommand.probeRows(10, 512, 1);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, all);
    int[] a = AnalyzeCommand.probeRows(1000, 50, 7);
    assertArrayEquals(a, AnalyzeCommand.probeRows(1000, 50, 7));
    assertEquals(50, a.length);
    for (int i = 1; i < a.length; i++) assertTrue(a[i] > a[i - 1], "sorted and distinct");
    assertTrue(a[0] >= 0 && a[a.length - 1] < 1000);
    assertFalse(Arrays.equals(a, AnalyzeCommand.probeRows(1000, 50, 8)));
  }
}
