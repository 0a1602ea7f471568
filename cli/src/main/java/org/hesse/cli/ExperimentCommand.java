package org.hesse.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.hesse.runtime.ThreadPolicy;
import org.hesse.train.ScaleAmendedSgd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hesse experiment ...}: experiment suites that write a report directory. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = "Experiment suites that write a report (markdown, CSV, PNG plots).",
    subcommands = {ExperimentCommand.ScaleAmended.class, ExperimentCommand.Memorisation.class, CommandLine.HelpCommand.class})
public final class ExperimentCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing experiment (one of: "
        + String.join(", ", spec.subcommands().keySet()) + ")");
  }

  /**
   * Scale-amended SGD vs SGD on Fashion-MNIST. The default is a small smoke grid (seconds); {@code --full} is the
   * grid of issue 6: 10,000 training and 10,000 test images, 5 epochs, MLP and conv net, 4 rates over two decades,
   * 3 seeds. Explicit options override either.
   */
  @Command(name = "scale-amended", mixinStandardHelpOptions = true,
      description = "Scale-amended SGD vs SGD on Fashion-MNIST with BN networks over learning rates and seeds.")
  static final class ScaleAmended implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Report directory to write.")
    Path out;

    @Option(names = "--full", description = "The full grid (10k/10k images, 5 epochs, mlp+conv, lrs 0.01 0.046 0.22 1, 3 seeds).")
    boolean full;

    @Option(names = "--train", description = "Training images (first N; smoke default 500, full 10000).")
    Integer train;

    @Option(names = "--test", description = "Test images (first N; smoke default 500, full 10000).")
    Integer test;

    @Option(names = "--epochs", description = "Epochs (smoke 1, full 5).")
    Integer epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lrs", split = ",", description = "Learning rates (smoke 0.05,0.5; full 0.01,0.046,0.22,1).")
    double[] lrs;

    @Option(names = "--seeds", description = "Seeds 0..n-1 (smoke 1, full 3).")
    Integer seeds;

    @Option(names = "--models", split = ",", description = "mlp and/or conv (smoke mlp, full mlp,conv).")
    List<String> models;

    @Option(names = "--variant", defaultValue = "variance",
        description = "Scale-amended variant: variance (σ²/γ², batch statistics) or norm (‖w‖²/γ²). Default ${DEFAULT-VALUE}.")
    String variant;

    @Option(names = "--momentum", defaultValue = "0", description = "Momentum of both optimizers (default ${DEFAULT-VALUE}).")
    double momentum;

    @Option(names = "--threads", description = "Runs in parallel (default: the Java workers of the thread policy, "
        + "-Dhesse.threads.java=N, 1 unless set; give -Dhesse.threads.java=2 on 2 cores so that BLAS gets 1 thread per run).")
    Integer threads;

    @Option(names = "--from-runs", description = "Re-write summary.csv, the plots and report.md from this earlier runs.csv "
        + "(no training); give the grid options of the run that wrote it.")
    Path fromRuns;

    @Override
    public Integer call() throws Exception {
      ExperimentScaleAmended.Config c = config();
      PrintWriter log = spec.commandLine().getOut();
      if (fromRuns != null) {
        List<ExperimentScaleAmended.Run> runs = ExperimentScaleAmended.readRuns(fromRuns, c);
        ExperimentScaleAmended.write(c, runs);
        log.println("wrote " + c.out().resolve("report.md") + " (" + runs.size() + " runs from " + fromRuns + ")");
        return 0;
      }
      List<ExperimentScaleAmended.Run> runs = ExperimentScaleAmended.run(c, log);
      log.println("wrote " + c.out().resolve("report.md") + " (" + runs.size() + " runs)");
      return 0;
    }

    private ScaleAmendedSgd.Variant variant() {
      try {
        return ScaleAmendedSgd.Variant.byName(variant);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--variant: expected variance or norm, got '" + variant + "'");
      }
    }

        ExperimentScaleAmended.Config config() {
      return new ExperimentScaleAmended.Config(
          train != null ? train : full ? 10_000 : 500,
          test != null ? test : full ? 10_000 : 500,
          epochs != null ? epochs : full ? 5 : 1,
          batch,
          lrs != null ? lrs : full ? new double[] {0.01, 0.046, 0.22, 1.0} : new double[] {0.05, 0.5},
          seeds != null ? seeds : full ? 3 : 1,
          models != null ? models : full ? List.of("mlp", "conv") : List.of("mlp"),
          variant(), momentum,
          threads != null ? threads : ThreadPolicy.current().javaWorkers(), out);
    }

  }

  /**
   * The memorisation experiment of issue 14: label-noise runs with the trace monitor; CUSUM alarm vs a
   * validation-loss rule (docs/memorisation.md). The default is the full grid; {@code --quick} a small one (tests).
   * Explicit options override either. Resumable: finished runs in {@code --out} are kept.
   */
  @Command(name = "memorisation", mixinStandardHelpOptions = true,
      description = "Label-noise runs with the per-layer trace monitor: detection power, false alarms and delay of its CUSUM "
          + "alarm and of a validation-loss rule (resumable).")
  static final class Memorisation implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Directory of the runs and the analysis (resumed if it holds this grid).")
    Path out;

    @Option(names = "--quick", description = "A small grid (wine, tanh-16 and relu-16, noise 0 and 0.4, 2+2 seeds, 300 steps).")
    boolean quick;

    @Option(names = "--datasets", split = ",", description = "Catalog data sets (full: digits,breast_cancer,wine; fashion_mnist is in the catalog too).")
    List<String> datasets;

    @Option(names = "--archs", split = ",", description = "ACT-WIDTH, two hidden layers (full: tanh-16,tanh-64,relu-16,relu-64).")
    List<String> archs;

    @Option(names = "--noise", split = ",", description = "Label-noise fractions, starting with 0 (full: 0,0.2,0.4,0.6).")
    List<Double> noise;

    @Option(names = "--seeds", description = "Evaluation seeds 0..n-1 per cell (full 5).")
    Integer seeds;

    @Option(names = "--calibration-seeds", description = "Clean calibration runs per (data set, architecture), seeds 1000.. (full 5).")
    Integer calibrationSeeds;

    @Option(names = "--steps", description = "Optimizer steps per run, rounded up to whole epochs (full 1500).")
    Integer steps;

    @Option(names = "--points", defaultValue = "50", description = "Monitor calls per run: every ⌈steps/points⌉ steps (default ${DEFAULT-VALUE}).")
    int points;

    @Option(names = "--probes", defaultValue = "5", description = "Rademacher probes per monitor call (default ${DEFAULT-VALUE}).")
    int probes;

    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.05", description = "SGD learning rate, momentum 0.9 (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--max-train", defaultValue = "2000", description = "Cap on training rows (default ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--max-test", defaultValue = "1000", description = "Cap on validation rows (default ${DEFAULT-VALUE}).")
    int maxTest;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Target false-alarm rate of the calibration (default ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--consecutive", defaultValue = "3", description = "Baseline: epochs in a row above the margin (default ${DEFAULT-VALUE}).")
    int consecutive;

    @Option(names = "--jobs", defaultValue = "1", description = "Runs in parallel (default ${DEFAULT-VALUE}).")
    int jobs;

    @Override
    public Integer call() throws Exception {
      ExperimentMemorisation.Config c = config();
      PrintWriter log = spec.commandLine().getOut();
      ExperimentMemorisation.Analysis a = ExperimentMemorisation.run(c, log);
      log.println("wrote " + c.out().resolve("report.md") + " (" + a.runs().size() + " runs)");
      return 0;
    }

    ExperimentMemorisation.Config config() {
      return new ExperimentMemorisation.Config(
          datasets != null ? datasets : quick ? List.of("wine") : List.of("digits", "breast_cancer", "wine"),
          archs != null ? archs : quick ? List.of("tanh-16", "relu-16") : List.of("tanh-16", "tanh-64", "relu-16", "relu-64"),
          noise != null ? noise : quick ? List.of(0.0, 0.4) : List.of(0.0, 0.2, 0.4, 0.6),
          seeds != null ? seeds : quick ? 2 : 5,
          calibrationSeeds != null ? calibrationSeeds : quick ? 2 : 5,
          steps != null ? steps : quick ? 300 : 1500,
          points, probes, batch, lr, maxTrain, maxTest, alpha, consecutive, jobs, out);
    }
  }
}
