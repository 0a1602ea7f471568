package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.train.EpochMetrics;
import org.hesse.train.ScaleAmendedSgd;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale-amended SGD experiment end to end: a small grid by default (500 images, 1 epoch, 2 rates, 1 seed, MLP),
 * its numbers checked against training runs repeated here directly with the Trainer; the full grid of issue 6 is
 * tagged "full" (Maven profile full-experiments) and writes docs/experiments/scale-amended-sgd.
 */
class ExperimentScaleAmendedTest {
  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = HesseCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(code), out.toString(), err.toString()};
  }

  /** The final test error of one run repeated here: same data pipeline, initialisation and trainer settings. */
  private static double direct(String optimizer, double lr, int seed) throws Exception {
    Dataset tr = CliData.load(CliData.FASHION_TRAIN, null, null, Dataset.Task.CLASSIFICATION, 500);
    Dataset te = CliData.load(CliData.FASHION_TEST, null, null, Dataset.Task.CLASSIFICATION, 500);
    Standardizer st = Standardizer.fit(tr);
    double[] y = new double[500];
    double[] yt = new double[500];
    for (int i = 0; i < 500; i++) {
      y[i] = tr.labels()[i];
      yt[i] = te.labels()[i];
    }
    Network net = ExperimentScaleAmended.model("mlp");
    double[] theta = Init.PYTORCH.init(net, 1000L + seed);
    var opt = optimizer.equals("sgd") ? new Sgd(net.paramCount())
        : new ScaleAmendedSgd(net, ScaleAmendedSgd.Variant.BATCH_VARIANCE);
    List<EpochMetrics> h = Trainer.builder(net, opt, Schedule.constant(lr)).batchSize(64).epochs(1).seed(seed).build()
        .fit(theta, net.initialBuffers(), st.apply(tr).x(), y, st.apply(te).x(), yt);
    return 1 - h.get(h.size() - 1).valAccuracy();
  }

  /** Synthetic runs: per optimizer, the final test error of each seed at lr 0.1 and at lr 1 (errors {@code e01}, {@code e1}). */
  static List<ExperimentScaleAmended.Run> synthetic(double[] sgd01, double[] sgd1, double[] am01, double[] am1) {
    List<ExperimentScaleAmended.Run> runs = new ArrayList<>();
    Object[][] cells = {{"sgd", 0.1, sgd01}, {"sgd", 1.0, sgd1}, {"scale-amended", 0.1, am01}, {"scale-amended", 1.0, am1}};
    for (Object[] cell : cells) {
      double[] e = (double[]) cell[2];
      for (int s = 0; s < e.length; s++) {
        double lr = (Double) cell[1];
        runs.add(new ExperimentScaleAmended.Run("mlp", (String) cell[0], lr, s,
            List.of(new EpochMetrics(1, 10, lr, 0.5, 0.8, 0.5, 1 - e[s], Double.NaN, Double.NaN)), false, 1.0));
      }
    }
    return runs;
  }

  static String claim(int seeds, List<ExperimentScaleAmended.Run> runs) {
    var c = new ExperimentScaleAmended.Config(500, 500, 1, 64, new double[] {0.1, 1.0}, seeds, List.of("mlp"),
        ScaleAmendedSgd.Variant.BATCH_VARIANCE, 0.0, 1, Path.of("unused"));
    var cells = ExperimentScaleAmended.summary(c, runs);
    return ExperimentScaleAmended.claim(c, "mlp", runs, ExperimentScaleAmended.sensitivity(c, cells));
  }

  /**
   * The verdict is a paired t-test over seeds, checked against hand-computed numbers: d = {0.02, 0.03, 0.025} has mean
   * 0.025, s.d. 0.005, s.e. 0.005/√3 = 0.002887, t = 8.66 > t(0.975, df 2) = 4.303 (tables): worse. With one seed, or
   * with the same difference at every seed (s.e. 0), the numbers are printed and no verdict is given.
   */
  @Test
  void theClaimHasAVerdictOnlyWithANoiseEstimateOverSeeds() {
    double[] worse1 = {0.9, 0.9, 0.9};
    String worse = claim(3, synthetic(new double[] {0.18, 0.19, 0.185}, worse1, new double[] {0.20, 0.22, 0.21}, worse1));
    assertTrue(worse.contains("+0.0250 ± 0.0029 (s.e., 3 seeds), t = 8.66 vs ±4.30: **worse** than SGD"), worse);
    // Spreads: per seed 0.9 − error at 0.1; amended − SGD = −d → t = −8.66: less sensitive.
    assertTrue(worse.contains("t = -8.66 vs ±4.30: **less sensitive** to the rate"), worse);

    // d = {0.01, −0.01, 0.005}: mean 0.001667, s.d. 0.010408, s.e. 0.006009, t = 0.277: no significant difference.
    String same = claim(3, synthetic(new double[] {0.20, 0.20, 0.20}, worse1, new double[] {0.21, 0.19, 0.205}, worse1));
    assertTrue(same.contains("+0.0017 ± 0.0060 (s.e., 3 seeds), t = 0.28 vs ±4.30: **not significantly worse**"), same);

    String one = claim(1, synthetic(new double[] {0.18}, new double[] {0.9}, new double[] {0.20}, new double[] {0.9}));
    assertTrue(one.contains("+0.0200 (one seed): no verdict: no noise estimate (needs >= 3 seeds, the grid has 1)"), one);
    assertTrue(!one.contains("**"), "no verdict word in: " + one);

    String flat = claim(3, synthetic(new double[] {0.18, 0.19, 0.2}, worse1, new double[] {0.2, 0.21, 0.22}, worse1));
    assertTrue(flat.contains("no verdict: no noise estimate (the difference is the same at every seed, standard error 0)"), flat);
    assertTrue(!flat.contains("**"), "no verdict word in: " + flat);
  }

  /**
   * write() on synthetic runs with 3 seeds: SVG plots with a log learning-rate axis labelled as plain numbers and
   * s.e. bars, a verdict in report.md; then --from-runs reads runs.csv back and re-writes the same summary and report.
   */
  @Test
  void writtenPlotsAndReportAndTheirRewriteFromRunsCsv(@TempDir Path dir) throws Exception {
    double[] worse1 = {0.9, 0.85, 0.95};
    var runs = synthetic(new double[] {0.18, 0.19, 0.185}, worse1, new double[] {0.20, 0.22, 0.21}, worse1);
    var c = new ExperimentScaleAmended.Config(500, 500, 1, 64, new double[] {0.1, 1.0}, 3, List.of("mlp"),
        ScaleAmendedSgd.Variant.BATCH_VARIANCE, 0.0, 1, dir.resolve("a"));
    ExperimentScaleAmended.write(c, runs);
    for (String f : new String[] {"error_vs_lr_mlp.svg", "curves_mlp.svg"}) {
      String svg = Files.readString(c.out().resolve(f));
      javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new java.io.ByteArrayInputStream(svg.getBytes(java.nio.charset.StandardCharsets.UTF_8)));   // well-formed XML
    }
    String lrSvg = Files.readString(c.out().resolve("error_vs_lr_mlp.svg"));
    assertTrue(lrSvg.contains(">learning rate</text>") && lrSvg.contains(">0.1</text>") && lrSvg.contains(">1</text>")
        && !lrSvg.contains("log10") && lrSvg.contains("± 1 s.e."), lrSvg);
    String md = Files.readString(c.out().resolve("report.md"));
    assertTrue(md.contains("**worse** than SGD") && !md.contains("noise level"), md);

    var again = ExperimentScaleAmended.readRuns(c.out().resolve("runs.csv"),
        new ExperimentScaleAmended.Config(500, 500, 1, 64, new double[] {0.1, 1.0}, 3, List.of("mlp"),
            ScaleAmendedSgd.Variant.BATCH_VARIANCE, 0.0, 1, dir.resolve("b")));
    ExperimentScaleAmended.write(new ExperimentScaleAmended.Config(500, 500, 1, 64, new double[] {0.1, 1.0}, 3, List.of("mlp"),
        ScaleAmendedSgd.Variant.BATCH_VARIANCE, 0.0, 1, dir.resolve("b")), again);
    assertEquals(md, Files.readString(dir.resolve("b/report.md")));
    assertEquals(Files.readString(c.out().resolve("summary.csv")), Files.readString(dir.resolve("b/summary.csv")));
    // A grid the file does not hold: one line naming the file and the missing cell, exit 2.
    String[] r = run("experiment", "scale-amended", "--out", dir.resolve("c").toString(), "--from-runs",
        c.out().resolve("runs.csv").toString(), "--lrs", "0.1,0.5", "--seeds", "3");
    assertEquals("2", r[0], r[2]);
    assertTrue(r[2].contains("runs.csv: no rows for model mlp, optimizer sgd, lr 0.5, seed 0"), r[2]);
    assertTrue(!Files.exists(dir.resolve("c/report.md")), "nothing written");
  }

  @Test
  void smallGridEndToEnd(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(CliData.FASHION_MNIST), "Fashion-MNIST not installed");
    String[] r = run("experiment", "scale-amended", "--out", dir.toString());
    assertEquals("0", r[0], r[2]);
    List<Map<String, String>> runs = CsvRows.read(dir.resolve("runs.csv"));
    assertEquals(2 * 2 * 2, runs.size(), "2 optimizers × 2 rates × epochs 0..1");
    List<Map<String, String>> summary = CsvRows.read(dir.resolve("summary.csv"));
    assertEquals(4, summary.size());
    for (Map<String, String> s : summary) {
      double lr = Double.parseDouble(s.get("lr"));
      String opt = s.get("optimizer");
      double fromRuns = Double.NaN;
      for (Map<String, String> q : runs) {
        if (q.get("optimizer").equals(opt) && Double.parseDouble(q.get("lr")) == lr && q.get("epoch").equals("1")) {
          fromRuns = Double.parseDouble(q.get("test_error"));
        }
      }
      double mean = Double.parseDouble(s.get("mean_test_error"));
      // the summary prints 4 decimals; the runs file full precision; the direct run must give the same bits
      assertEquals(fromRuns, mean, 5e-5, opt + " lr " + lr);
      assertEquals(direct(opt, lr, 0), fromRuns, 1e-12, opt + " lr " + lr + " repeated directly");
    }
    for (String f : new String[] {"error_vs_lr_mlp.svg", "curves_mlp.svg"}) {
      assertTrue(Files.readString(dir.resolve(f)).contains("</svg>"), f);
    }
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.contains("## The claim") && md.contains("| mlp | scale-amended |"), md);
    // one seed: numbers, no verdict
    assertTrue(md.contains("no verdict: no noise estimate (needs >= 3 seeds, the grid has 1)") && !md.contains("noise level"), md);
  }

  @Test
  void badArgumentsAreUsageErrors(@TempDir Path dir) {
    String[] r = run("experiment", "scale-amended", "--out", dir.toString(), "--models", "resnet");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("models"), r[2]);
    r = run("experiment", "scale-amended", "--out", dir.toString(), "--variant", "adam");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("variant"), r[2]);
  }

  /** The grid of issue 6 (about 15 minutes on 2 cores): mvn -B test -pl cli -am -Pfull-experiments. */
  @Test
  @Tag("full")
  void fullGrid() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(CliData.FASHION_MNIST), "Fashion-MNIST not installed");
    Path out = Path.of("..", "docs", "experiments", "scale-amended-sgd");
    // two runs at a time with one BLAS thread each, as -Dhesse.threads.java=2 (this JVM runs only "full" tests)
    int cores = Math.max(2, org.hesse.runtime.ThreadPolicy.availableCores());
    org.hesse.runtime.ThreadPolicy.install(org.hesse.runtime.ThreadPolicy.of(2, cores / 2, cores));
    String[] r = run("experiment", "scale-amended", "--full", "--out", out.toString());
    assertEquals("0", r[0], r[2]);
    List<Map<String, String>> summary = CsvRows.read(out.resolve("summary.csv"));
    assertEquals(2 * 2 * 4, summary.size());
    for (Map<String, String> s : summary) assertEquals("3", s.get("runs"));
  }
}
