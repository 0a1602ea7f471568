package org.hesse.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.hesse.cli.report.Plots;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.BatchNorm;
import org.hesse.nn.Conv2d;
import org.hesse.nn.Flatten;
import org.hesse.nn.Init;
import org.hesse.nn.MaxPool2d;
import org.hesse.nn.Network;
import org.hesse.train.EpochMetrics;
import org.hesse.train.Optimizer;
import org.hesse.train.ScaleAmendedSgd;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import org.hesse.train.TrainingDivergedException;

/**
 * The scale-amended SGD experiment of issue 6: Fashion-MNIST, BN networks (an MLP and a small conv net), plain
 * SGD vs {@link ScaleAmendedSgd} over a grid of learning rates and seeds; final test error and curves.
 *
 * <p>Protocol: the first {@code train} training images and the first {@code test} test images, features
 * standardised per pixel with the training images' statistics; PyTorch-default initialisation from the seed;
 * constant learning rate, batch {@code batch}, {@code epochs} epochs, the same shuffling seed for both optimizers
 * (so that for one seed they see the same batches from the same θ0). A run that diverges (non-finite loss) is
 * recorded as diverged with test error 0.9, chance level on ten balanced classes.
 *
 * <p>Outputs (each written atomically): {@code runs.csv} (one row per run and epoch), {@code summary.csv} (per
 * model, optimizer and rate: mean and sample s.d. over seeds of the final test error), {@code report.md} (tables,
 * verdict on the claim), {@code error_vs_lr_<model>.svg} and {@code curves_<model>.svg} (mean ± 1 standard error over
 * seeds when there are at least two).
 */
final class ExperimentScaleAmended {
  static final double DIVERGED_ERROR = 0.9;

  /** The grid and protocol. */
  record Config(int train, int test, int epochs, int batch, double[] lrs, int seeds, List<String> models,
                ScaleAmendedSgd.Variant variant, double momentum, int threads, Path out) {
    Config {
      if (train < 2) throw new IllegalArgumentException("--train: expected >= 2 images, got " + train);
      if (test < 1) throw new IllegalArgumentException("--test: expected >= 1 image, got " + test);
      if (epochs < 1) throw new IllegalArgumentException("--epochs: expected >= 1, got " + epochs);
      if (batch < 2) throw new IllegalArgumentException("--batch: expected >= 2 (BN needs two values per channel), got " + batch);
      if (lrs.length == 0) throw new IllegalArgumentException("--lrs: expected at least one learning rate, got none");
      for (double lr : lrs) {
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lrs: expected finite values > 0, got " + lr);
      }
      if (seeds < 1) throw new IllegalArgumentException("--seeds: expected >= 1, got " + seeds);
      for (String m : models) {
        if (!m.equals("mlp") && !m.equals("conv")) {
          throw new IllegalArgumentException("--models: expected mlp and/or conv, got '" + m + "'");
        }
      }
      if (!(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException("--momentum: expected a value in [0, 1), got " + momentum);
      }
      if (threads < 1) throw new IllegalArgumentException("--threads: expected >= 1, got " + threads);
    }
  }

  /** One training run's curve and outcome. */
  record Run(String model, String optimizer, double lr, int seed, List<EpochMetrics> history, boolean diverged,
             double seconds) {
    double finalTestError() {
      if (diverged || history.isEmpty()) return DIVERGED_ERROR;
      return 1 - history.get(history.size() - 1).valAccuracy();
    }
  }

  static final String SGD = "sgd";
  static final String AMENDED = "scale-amended";

  private ExperimentScaleAmended() {}

  /** The BN networks: an MLP 784-128-BN-relu-128-BN-relu-10 and a conv net (two conv-BN-relu-maxpool stages). */
  static Network model(String name) {
    if (name.equals("mlp")) {
      return Network.builder(784).dense(128).add(new BatchNorm(new int[] {128})).activation("relu")
          .dense(128).add(new BatchNorm(new int[] {128})).activation("relu").dense(10).build("cross_entropy");
    }
    Network.Builder b = Network.builder(784).inputShape(1, 28, 28);
    b.add(new Conv2d(b.shape(), 8, 3, 1, 1)).add(new BatchNorm(b.shape())).activation("relu");
    b.add(new MaxPool2d(b.shape(), 2, 2));
    b.add(new Conv2d(b.shape(), 16, 3, 1, 1)).add(new BatchNorm(b.shape())).activation("relu");
    b.add(new MaxPool2d(b.shape(), 2, 2));
    b.add(new Flatten(b.shape())).dense(10);
    return b.build("cross_entropy");
  }

  static Optimizer optimizer(String name, Network net, Config c) {
    if (name.equals(SGD)) return new Sgd(net.paramCount(), c.momentum(), 0.0, false);
    return new ScaleAmendedSgd(net, c.variant(), c.momentum(), 0.0, false);
  }

  /** Runs the grid and writes the outputs; progress lines go to {@code log}. */
  static List<Run> run(Config c, PrintWriter log) throws IOException {
    Dataset trainSet = CliData.load(CliData.FASHION_TRAIN, null, null, Dataset.Task.CLASSIFICATION, c.train());
    Dataset testSet = CliData.load(CliData.FASHION_TEST, null, null, Dataset.Task.CLASSIFICATION, c.test());
    Standardizer st = Standardizer.fit(trainSet);
    double[] x = st.apply(trainSet).x();
    double[] xTest = st.apply(testSet).x();
    double[] y = labels(trainSet);
    double[] yTest = labels(testSet);
    if (trainSet.size() % c.batch() == 1) {
      throw new IllegalArgumentException("--batch: " + c.batch() + " leaves a last batch of one image out of "
          + trainSet.size() + ", which BN refuses in training mode; pick another batch size");
    }
    List<Runnable> jobs = new ArrayList<>();
    List<Run> runs = new ArrayList<>();
    List<Object[]> keys = new ArrayList<>();
    for (String m : c.models()) {
      for (double lr : c.lrs()) {
        for (int seed = 0; seed < c.seeds(); seed++) {
          for (String opt : new String[] {SGD, AMENDED}) keys.add(new Object[] {m, opt, lr, seed});
        }
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(c.threads());
    try {
      List<Future<Run>> fs = new ArrayList<>();
      for (Object[] k : keys) {
        fs.add(pool.submit(() -> {
          Run r = one(c, (String) k[0], (String) k[1], (Double) k[2], (Integer) k[3], x, y, xTest, yTest);
          synchronized (log) {
            log.printf(Locale.ROOT, "%-5s %-13s lr=%-8g seed=%d  test error %.4f%s  (%.1f s)%n", r.model(), r.optimizer(),
                r.lr(), r.seed(), r.finalTestError(), r.diverged() ? " (diverged)" : "", r.seconds());
            log.flush();
          }
          return r;
        }));
      }
      for (Future<Run> f : fs) runs.add(f.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable t = e.getCause();
      if (t instanceof RuntimeException re) throw re;
      throw new IllegalStateException(t);
    } finally {
      pool.shutdownNow();
    }
    write(c, runs);
    return runs;
  }

  /**
   * The runs of an earlier grid from its runs.csv (no training), for re-writing the summary, plots and report with
   * the current code. Every cell of {@code c}'s grid must be present; a learning rate matches to the 6 significant
   * digits runs.csv prints.
   */
  static List<Run> readRuns(Path csv, Config c) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    String header = "model,optimizer,lr,seed,epoch,train_loss,train_error,test_loss,test_error,diverged,seconds";
    if (lines.isEmpty() || !lines.get(0).equals(header)) {
      throw new IllegalArgumentException(csv + ": line 1: expected the header '" + header + "'");
    }
    java.util.Map<String, List<String[]>> byRun = new java.util.LinkedHashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) continue;
      String[] f = lines.get(i).split(",", -1);
      if (f.length != 11) throw new IllegalArgumentException(csv + ": line " + (i + 1) + ": expected 11 fields, got " + f.length);
      byRun.computeIfAbsent(f[0] + "," + f[1] + "," + f[2] + "," + f[3], k -> new ArrayList<>()).add(f);
    }
    List<Run> runs = new ArrayList<>();
    for (String m : c.models()) {
      for (double lr : c.lrs()) {
        for (int seed = 0; seed < c.seeds(); seed++) {
          for (String opt : new String[] {SGD, AMENDED}) {
            List<String[]> rows = byRun.get(m + "," + opt + "," + lr(lr) + "," + seed);
            if (rows == null) {
              throw new IllegalArgumentException(csv + ": no rows for model " + m + ", optimizer " + opt + ", lr " + lr(lr)
                  + ", seed " + seed + " (give the grid options of the run that wrote it)");
            }
            List<EpochMetrics> h = new ArrayList<>();
            for (String[] f : rows) {
              h.add(new EpochMetrics(Integer.parseInt(f[4]), 0, lr, Double.parseDouble(f[5]), 1 - Double.parseDouble(f[6]),
                  Double.parseDouble(f[7]), 1 - Double.parseDouble(f[8]), Double.NaN, Double.NaN));
            }
            String[] last = rows.get(rows.size() - 1);
            runs.add(new Run(m, opt, lr, seed, h, Boolean.parseBoolean(last[9]), Double.parseDouble(last[10])));
          }
        }
      }
    }
    return runs;
  }

  private static double[] labels(Dataset d) {
    int[] l = d.labels();
    double[] y = new double[l.length];
    for (int i = 0; i < l.length; i++) y[i] = l[i];
    return y;
  }

  static Run one(Config c, String model, String opt, double lr, int seed, double[] x, double[] y, double[] xTest,
                 double[] yTest) {
    long t0 = System.nanoTime();
    Network net = model(model);
    double[] theta = Init.PYTORCH.init(net, 1000L + seed);
    Trainer t = Trainer.builder(net, optimizer(opt, net, c), Schedule.constant(lr)).batchSize(c.batch())
        .epochs(c.epochs()).seed(seed).build();
    List<EpochMetrics> h;
    boolean diverged = false;
    try {
      h = t.fit(theta, net.initialBuffers(), x, y, xTest, yTest);
    } catch (TrainingDivergedException e) {
      h = e.history();
      diverged = true;
    }
    return new Run(model, opt, lr, seed, h, diverged, (System.nanoTime() - t0) * 1e-9);
  }

  /** Mean and sample standard deviation of the final test error over seeds, per (model, optimizer, lr). */
  record Cell(String model, String optimizer, double lr, double mean, double sd, int diverged, int n) {}

  static List<Cell> summary(Config c, List<Run> runs) {
    List<Cell> out = new ArrayList<>();
    for (String m : c.models()) {
      for (String opt : new String[] {SGD, AMENDED}) {
        for (double lr : c.lrs()) {
          List<Double> e = new ArrayList<>();
          int div = 0;
          for (Run r : runs) {
            if (r.model().equals(m) && r.optimizer().equals(opt) && r.lr() == lr) {
              e.add(r.finalTestError());
              if (r.diverged()) div++;
            }
          }
          double mean = e.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
          double ss = 0;
          for (double v : e) ss += (v - mean) * (v - mean);
          double sd = e.size() > 1 ? Math.sqrt(ss / (e.size() - 1)) : Double.NaN;
          out.add(new Cell(m, opt, lr, mean, sd, div, e.size()));
        }
      }
    }
    return out;
  }

  /** Per (model, optimizer): best, worst and mean over the rates of the seed-mean final test error. */
  record Sensitivity(String model, String optimizer, double best, double bestLr, double bestSd, double worst,
                     double meanOverLrs) {
    double spread() { return worst - best; }
  }

  static List<Sensitivity> sensitivity(Config c, List<Cell> cells) {
    List<Sensitivity> out = new ArrayList<>();
    for (String m : c.models()) {
      for (String opt : new String[] {SGD, AMENDED}) {
        double best = Double.POSITIVE_INFINITY;
        double bestLr = Double.NaN;
        double bestSd = Double.NaN;
        double worst = Double.NEGATIVE_INFINITY;
        double sum = 0;
        int n = 0;
        for (Cell cell : cells) {
          if (!cell.model().equals(m) || !cell.optimizer().equals(opt)) continue;
          if (cell.mean() < best) {
            best = cell.mean();
            bestLr = cell.lr();
            bestSd = cell.sd();
          }
          worst = Math.max(worst, cell.mean());
          sum += cell.mean();
          n++;
        }
        out.add(new Sensitivity(m, opt, best, bestLr, bestSd, worst, sum / n));
      }
    }
    return out;
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String lr(double v) {
    return String.format(Locale.ROOT, "%g", v).replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  static void write(Config c, List<Run> runs) throws IOException {
    Files.createDirectories(c.out());
    StringBuilder csv = new StringBuilder(
        "model,optimizer,lr,seed,epoch,train_loss,train_error,test_loss,test_error,diverged,seconds\n");
    for (Run r : runs) {
      for (EpochMetrics m : r.history()) {
        csv.append(r.model()).append(',').append(r.optimizer()).append(',').append(lr(r.lr())).append(',')
            .append(r.seed()).append(',').append(m.epoch()).append(',').append(m.trainLoss()).append(',')
            .append(1 - m.trainAccuracy()).append(',').append(m.valLoss()).append(',').append(1 - m.valAccuracy())
            .append(',').append(r.diverged()).append(',').append(String.format(Locale.ROOT, "%.2f", r.seconds())).append('\n');
      }
    }
    AtomicFiles.writeString(c.out().resolve("runs.csv"), csv.toString());
    List<Cell> cells = summary(c, runs);
    StringBuilder sc = new StringBuilder("model,optimizer,lr,mean_test_error,sd_test_error,diverged,runs\n");
    for (Cell cell : cells) {
      sc.append(cell.model()).append(',').append(cell.optimizer()).append(',').append(lr(cell.lr())).append(',')
          .append(f(cell.mean())).append(',').append(f(cell.sd())).append(',').append(cell.diverged()).append(',')
          .append(cell.n()).append('\n');
    }
    AtomicFiles.writeString(c.out().resolve("summary.csv"), sc.toString());
    List<Sensitivity> sens = sensitivity(c, cells);
    for (String m : c.models()) {
      AtomicFiles.writeString(c.out().resolve("error_vs_lr_" + m + ".svg"), svg(errorVsLr(m, cells)));
      AtomicFiles.writeString(c.out().resolve("curves_" + m + ".svg"), svg(curves(c, m, runs)));
    }
    AtomicFiles.writeString(c.out().resolve("report.md"), markdown(c, runs, cells, sens));
  }

  /** A standalone SVG file of a chart. */
  private static String svg(String chart) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart + "\n";
  }

  private static String errorVsLr(String model, List<Cell> cells) {
    List<Plots.Series> series = new ArrayList<>();
    for (String opt : new String[] {SGD, AMENDED}) {
      List<Cell> cs = cells.stream().filter(x -> x.model().equals(model) && x.optimizer().equals(opt)).toList();
      double[] xs = new double[cs.size()];
      double[] ys = new double[cs.size()];
      double[] se = new double[cs.size()];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = cs.get(i).lr();
        ys[i] = cs.get(i).mean();
        se[i] = cs.get(i).sd() / Math.sqrt(cs.get(i).n());   // NaN with one seed: no bar
      }
      series.add(new Plots.Series(opt, xs, ys, se));
    }
    return Plots.lines(model + ": final test error (mean over seeds)", "learning rate", "test error", series,
        Plots.Scale.LOG, Plots.Scale.LINEAR);
  }

  private static String curves(Config c, String model, List<Run> runs) {
    List<Plots.Series> series = new ArrayList<>();
    for (String opt : new String[] {SGD, AMENDED}) {
      for (double lr : c.lrs()) {
        double[] xs = new double[c.epochs() + 1];
        double[] ys = new double[c.epochs() + 1];
        double[] sq = new double[c.epochs() + 1];
        double[] se = new double[c.epochs() + 1];
        int[] counts = new int[c.epochs() + 1];
        for (Run r : runs) {
          if (!r.model().equals(model) || !r.optimizer().equals(opt) || r.lr() != lr) continue;
          for (EpochMetrics m : r.history()) {
            double e = 1 - m.valAccuracy();
            ys[m.epoch()] += e;
            sq[m.epoch()] += e * e;
            counts[m.epoch()]++;
          }
        }
        for (int e = 0; e <= c.epochs(); e++) {
          int k = counts[e];
          xs[e] = e;
          ys[e] = k == 0 ? Double.NaN : ys[e] / k;
          // standard error of the mean over seeds (sample variance); none from a single seed
          se[e] = k < 2 ? Double.NaN : Math.sqrt(Math.max(0, (sq[e] - k * ys[e] * ys[e]) / (k - 1)) / k);
        }
        series.add(new Plots.Series(opt + " lr=" + lr(lr), xs, ys, se));
      }
    }
    return Plots.lines(model + ": test error over training (mean over seeds)", "epoch", "test error", series,
        Plots.Scale.LINEAR, Plots.Scale.LINEAR);
  }

  /** Seeds a verdict on the claim needs (a standard error over seeds from fewer is too rough to judge by). */
  static final int MIN_SEEDS = 3;

  /** A paired comparison over seeds: mean difference, its standard error, t and the two-sided 95% critical t. */
  record Paired(double mean, double se, int n, double t, double critical) {
    static Paired of(double[] d) {
      int n = d.length;
      double mean = java.util.Arrays.stream(d).average().orElse(Double.NaN);
      double ss = 0;
      for (double v : d) ss += (v - mean) * (v - mean);
      double se = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Double.NaN;
      double crit = n > 1 ? new org.apache.commons.math3.distribution.TDistribution(n - 1).inverseCumulativeProbability(0.975) : Double.NaN;
      return new Paired(mean, se, n, mean / se, crit);
    }

    /** Null when a verdict can be given, else why not. */
    String noVerdict() {
      if (n < MIN_SEEDS) return "no verdict: no noise estimate (needs >= " + MIN_SEEDS + " seeds, the grid has " + n + ")";
      // errors are fractions of the test set, so an s.e. below 1e-9 is rounding of equal differences, not noise
      if (!(se > 1e-9)) return "no verdict: no noise estimate (the difference is the same at every seed, standard error 0)";
      return null;
    }

    /** -1 significantly below zero, +1 significantly above, 0 not distinguishable from zero. */
    int sign() {
      return Math.abs(t) <= critical ? 0 : t < 0 ? -1 : 1;
    }

    String numbers() {
      if (n < 2) return String.format(Locale.ROOT, "%+.4f (one seed)", mean);
      return String.format(Locale.ROOT, "%+.4f ± %.4f (s.e., %d seeds), t = %.2f vs ±%.2f", mean, se, n, t, critical);
    }
  }

  /** The final test error of each seed at one cell, in seed order. */
  static double[] perSeed(List<Run> runs, String model, String opt, double lr, int seeds) {
    double[] e = new double[seeds];
    for (Run r : runs) {
      if (r.model().equals(model) && r.optimizer().equals(opt) && r.lr() == lr) e[r.seed()] = r.finalTestError();
    }
    return e;
  }

  /** One model's line on the claim: the numbers always, a verdict only with a noise estimate. */
  static String claim(Config c, String m, List<Run> runs, List<Sensitivity> sens) {
    Sensitivity sg = sens.stream().filter(s -> s.model().equals(m) && s.optimizer().equals(SGD)).findFirst().orElseThrow();
    Sensitivity am = sens.stream().filter(s -> s.model().equals(m) && s.optimizer().equals(AMENDED)).findFirst().orElseThrow();
    int n = c.seeds();
    double[] aBest = perSeed(runs, m, AMENDED, am.bestLr(), n);
    double[] sBest = perSeed(runs, m, SGD, sg.bestLr(), n);
    double[] d = new double[n];
    for (int s = 0; s < n; s++) d[s] = aBest[s] - sBest[s];
    double[] spreadDiff = new double[n];
    for (int s = 0; s < n; s++) spreadDiff[s] = seedSpread(runs, c, m, AMENDED, s) - seedSpread(runs, c, m, SGD, s);
    Paired best = Paired.of(d);
    Paired spread = Paired.of(spreadDiff);
    String bestVerdict = best.noVerdict() != null ? best.noVerdict()
        : switch (best.sign()) {
          case 1 -> "**worse** than SGD";
          case -1 -> "**better** than SGD";
          default -> "**not significantly worse**";
        };
    String spreadVerdict = spread.noVerdict() != null ? spread.noVerdict()
        : switch (spread.sign()) {
          case -1 -> "**less sensitive** to the rate";
          case 1 -> "**more sensitive** to the rate";
          default -> "**no significant difference** in sensitivity";
        };
    return String.format(Locale.ROOT, "- `%s`: best error %s (scale-amended, lr %s) vs %s (SGD, lr %s); paired difference %s: "
        + "%s. Spread over the rates %s vs %s; paired per-seed spread difference %s: %s.%n", m, f(am.best()), lr(am.bestLr()),
        f(sg.best()), lr(sg.bestLr()), best.numbers(), bestVerdict, f(am.spread()), f(sg.spread()), spread.numbers(), spreadVerdict);
  }

  /** Worst − best final test error over the rates for one seed. */
  static double seedSpread(List<Run> runs, Config c, String model, String opt, int seed) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double lr : c.lrs()) {
      double e = perSeed(runs, model, opt, lr, c.seeds())[seed];
      lo = Math.min(lo, e);
      hi = Math.max(hi, e);
    }
    return hi - lo;
  }

  static String markdown(Config c, List<Run> runs, List<Cell> cells, List<Sensitivity> sens) {
    StringBuilder md = new StringBuilder();
    double secs = runs.stream().mapToDouble(Run::seconds).sum();
    md.append("# Scale-amended SGD vs SGD on Fashion-MNIST\n\n");
    md.append(String.format(Locale.ROOT, "Protocol: first %d training and first %d test images (standardised per pixel with "
        + "the training statistics), %d epochs, batch %d, constant learning rate, momentum %s, no weight decay, "
        + "PyTorch-default initialisation; %d seed(s); scale-amended variant `%s`. Same seed → same θ0 and batches for "
        + "both optimizers. A diverged run counts as test error %.1f. Total training time %.0f s (sum over runs).%n%n",
        c.train(), c.test(), c.epochs(), c.batch(), c.momentum(), c.seeds(),
        c.variant().name().toLowerCase(Locale.ROOT), DIVERGED_ERROR, secs));
    md.append("Models: `mlp` = 784-128-BN-relu-128-BN-relu-10; `conv` = conv3×3(8)-BN-relu-maxpool2-conv3×3(16)-BN-relu-"
        + "maxpool2-flatten-dense(10). Scale-amended rows: every dense/conv weight row feeding a BN; biases, γ/β and "
        + "the classifier on plain SGD.\n\n");
    md.append("## Final test error (mean ± s.d. over seeds)\n\n| model | optimizer |");
    for (double lr : c.lrs()) md.append(" lr ").append(lr(lr)).append(" |");
    md.append("\n|---|---|");
    for (int i = 0; i < c.lrs().length; i++) md.append("---|");
    md.append('\n');
    for (String m : c.models()) {
      for (String opt : new String[] {SGD, AMENDED}) {
        md.append("| ").append(m).append(" | ").append(opt).append(" |");
        for (Cell cell : cells) {
          if (!cell.model().equals(m) || !cell.optimizer().equals(opt)) continue;
          md.append(' ').append(f(cell.mean()));
          if (!Double.isNaN(cell.sd())) md.append(" ± ").append(f(cell.sd()));
          if (cell.diverged() > 0) md.append(" (").append(cell.diverged()).append(" diverged)");
          md.append(" |");
        }
        md.append('\n');
      }
    }
    md.append("\n## Sensitivity to the learning rate\n\n| model | optimizer | best error | at lr | worst error | "
        + "spread (worst − best) | mean over lrs |\n|---|---|---|---|---|---|---|\n");
    for (Sensitivity s : sens) {
      md.append("| ").append(s.model()).append(" | ").append(s.optimizer()).append(" | ").append(f(s.best()))
          .append(" | ").append(lr(s.bestLr())).append(" | ").append(f(s.worst())).append(" | ").append(f(s.spread()))
          .append(" | ").append(f(s.meanOverLrs())).append(" |\n");
    }
    md.append("\n## The claim\n\n");
    md.append(String.format(Locale.ROOT, "Noise estimate: paired over seeds (same seed → same θ0 and batches for both "
        + "optimizers). Per seed s, d_s = error(scale-amended, its best rate) − error(SGD, its best rate), the best rates "
        + "chosen by the seed mean; and per seed the spread (worst − best over the rates) of each optimizer. A verdict "
        + "needs ≥ %d seeds and a non-zero standard error: mean d over its standard error against Student's t "
        + "(two-sided 95%%, df = seeds − 1).%n%n", MIN_SEEDS));
    for (String m : c.models()) md.append(claim(c, m, runs, sens));
    md.append("\nPlots: `error_vs_lr_<model>.svg`, `curves_<model>.svg` (± 1 s.e. over seeds); raw numbers: `runs.csv`, `summary.csv`.\n");
    return md.toString();
  }
}
