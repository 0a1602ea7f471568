package org.hesse.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.hesse.cli.suite.SuiteAnalysis;
import org.hesse.cli.suite.SuiteRunner;
import org.hesse.cli.suite.SuiteSpec;
import org.hesse.runtime.ThreadPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hesse suite}: the study. Runs a declared grid of analyze runs (data set × capacity × label noise × seed),
 * several at once with single-threaded BLAS each, resumes an interrupted suite, then analyses the finished runs
 * (correlations, AUROCs, baselines) into OUT/report.html and OUT/analysis/.
 */
@Command(name = "suite", mixinStandardHelpOptions = true,
    description = "Run the layer-wise Hessian study (or a suite file's grid) as analyze runs in OUT/runs/ID, then analyse them "
        + "into OUT/report.html and OUT/analysis/*.csv|json. Re-running the same command resumes: finished runs are kept.")
public final class SuiteCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "SUITE.json", description = "A suite file (default: the full study; see docs/study.md).")
  Path suiteFile;

  @Option(names = "--out", description = "Output directory (new, empty, or an earlier run of the same suite to resume).")
  Path out;

  @Option(names = "--quick", description = "The small suite for CI (bundled data, a few minutes).")
  boolean quick;

  @Option(names = "--list", description = "Print the default suite's data sets, one per line, and exit.")
  boolean list;

  @Option(names = "--jobs", description = "Runs at a time (default: the available cores); each run is single-threaded.")
  Integer jobs;

  @Option(names = "--analyze", paramLabel = "DIR", description = "Only analyse an existing suite directory (no runs).")
  Path analyze;

  @Option(names = "--no-analysis", negatable = true, defaultValue = "true", description = "Analyse after the runs (default on).")
  boolean analysis;

  @Override
  public Integer call() throws Exception {
    PrintWriter pw = spec.commandLine().getOut();
    if (list) {
      for (SuiteSpec.DatasetRef d : SuiteRunner.datasets(SuiteSpec.study())) pw.println(d.name());
      return 0;
    }
    if (analyze != null) {
      if (suiteFile != null || out != null || quick) throw new IllegalArgumentException("--analyze DIR takes no suite file, --out or --quick");
      SuiteAnalysis.Result res = SuiteAnalysis.run(analyze);
      pw.println(res.summary());
      return 0;
    }
    if (out == null) throw new IllegalArgumentException("--out: expected the suite's output directory");
    if (quick && suiteFile != null) throw new IllegalArgumentException("give either a suite file or --quick, not both");
    int cores = ThreadPolicy.availableCores();
    int n = jobs == null ? cores : jobs;
    if (n < 1 || n > cores) throw new IllegalArgumentException("--jobs: expected 1.." + cores + " (the available cores), got " + n);
    SuiteSpec s = suiteFile != null ? SuiteSpec.read(suiteFile) : quick ? SuiteSpec.quick() : SuiteSpec.study();
    SuiteRunner runner = new SuiteRunner(s, out, SuiteCommand::analyzeRun, AnalyzeCommand::probeRows);
    ThreadPolicy before = ThreadPolicy.current();
    ThreadPolicy.install(ThreadPolicy.of(n, 1));
    long t0 = System.nanoTime();
    int failed;
    try (Bar bar = new Bar(spec.commandLine().getErr())) {
      failed = runner.run(n, bar);
    } finally {
      ThreadPolicy.install(before);
    }
    double minutes = (System.nanoTime() - t0) / 60e9;
    pw.printf(Locale.ROOT, "suite: %d run(s) in %s, %d did not complete (see their run.json); %.1f min%n",
        runner.plan().size(), out.resolve(SuiteRunner.RUNS), failed, minutes);
    if (analysis) {
      SuiteAnalysis.Result res = SuiteAnalysis.run(out);
      pw.println(res.summary());
    }
    return 0;
  }

  /** One analyze run in this JVM; its output and any error line go to {@code log}. */
  static SuiteRunner.Outcome analyzeRun(List<String> args, Path log) {
    Progress.silenceThisThread();
    try (PrintWriter lw = new PrintWriter(Files.newBufferedWriter(log))) {
      AnalyzeCommand cmd = new AnalyzeCommand();
      CommandLine cl = new CommandLine(cmd);
      cl.setOut(lw);
      cl.setErr(lw);
      try {
        cl.parseArgs(args.toArray(String[]::new));
        cmd.call();
        return new SuiteRunner.Outcome(0, "");
      } catch (Throwable t) {
        Throwable root = HesseCli.rootOf(t);
        int code = root instanceof CommandLine.ParameterException ? HesseCli.EXIT_BAD_INPUT : HesseCli.exitCode(root);
        String m = HesseCli.message(root, code);
        lw.println("hesse: error: " + m);
        return new SuiteRunner.Outcome(code, m);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Progress: a bar on a terminal, else a line per finished run on stderr; both with runs done / total and an ETA. */
  private static final class Bar implements SuiteRunner.Listener, AutoCloseable {
    private final PrintWriter err;
    private Progress bar = Progress.NONE;
    private int total;
    private int done;
    private int startDone;
    private long t0;

    Bar(PrintWriter err) {
      this.err = err;
    }

    @Override
    public synchronized void start(int total, int alreadyDone) {
      this.total = total;
      this.done = alreadyDone;
      this.startDone = alreadyDone;
      this.t0 = System.nanoTime();
      bar = Progress.start("suite", total);
      bar.stepTo(done);
      if (alreadyDone > 0) line(String.format(Locale.ROOT, "suite: resuming, %d of %d runs already finished", alreadyDone, total));
    }

    @Override
    public synchronized void finished(SuiteRunner.Run run, SuiteRunner.Outcome o, double seconds) {
      done++;
      double perRun = (System.nanoTime() - t0) / 1e9 / (done - startDone);
      double eta = perRun * (total - done);
      String status = o.exitCode() == 0 ? "complete" : "failed (" + o.message() + ")";
      bar.stepTo(done);
      bar.message(run.id() + " " + (o.exitCode() == 0 ? "ok" : "failed"));
      line(String.format(Locale.ROOT, "suite: %d/%d runs done, ETA %s  [%s: %s, %.1f s]", done, total, clock(eta), run.id(),
          status, seconds));
    }

    private void line(String s) {
      if (Progress.enabled()) return;
      err.println(s);
      err.flush();
    }

    static String clock(double seconds) {
      long s = Math.round(seconds);
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void close() {
      bar.close();
    }
  }
}
