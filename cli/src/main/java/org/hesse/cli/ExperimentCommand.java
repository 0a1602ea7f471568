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
    subcommands = {ExperimentCommand.ScaleAmended.class, CommandLine.HelpCommand.class})
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
}
