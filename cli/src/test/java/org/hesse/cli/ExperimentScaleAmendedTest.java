package org.hesse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    for (String f : new String[] {"error_vs_lr_mlp.png", "curves_mlp.png"}) {
      byte[] b = Files.readAllBytes(dir.resolve(f));
      assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(b, 4), f);
    }
    String md = Files.readString(dir.resolve("report.md"));
    assertTrue(md.contains("## The claim") && md.contains("| mlp | scale-amended |"), md);
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
