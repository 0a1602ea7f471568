package org.hesse.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long phase (training epochs, per-layer spectra, analyze checkpoints) as a progress bar on stderr
 * (me.tongfei:progressbar). Shown only when stderr is a terminal and --quiet is not given; otherwise every method
 * does nothing, so pipes, logs and tests see no bar. Whether stderr is a terminal is told by the launcher
 * ({@code ./hesse} sets {@code -Dhesse.progress=tty} when {@code [ -t 2 ]}, and the width as
 * {@code -Dhesse.columns}), since the JVM's stderr may be a pipe there and the JDK cannot test stderr alone.
 */
final class Progress implements AutoCloseable {
  private static volatile boolean quiet;
  private static final List<Progress> OPEN = new ArrayList<>();

  /** A bar that shows nothing. */
  static final Progress NONE = new Progress(null);

  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** Called once per command line (HesseCli): --quiet turns every bar off. */
  static void configure(boolean q) {
    quiet = q;
  }

  /** Threads whose work draws no bars (the suite's runs: the suite draws its own). */
  private static final ThreadLocal<Boolean> SILENT = ThreadLocal.withInitial(() -> false);

  /** No bars from this thread from now on. */
  static void silenceThisThread() {
    SILENT.set(true);
  }

  /** Whether bars are drawn: stderr is a terminal (as the launcher says), not --quiet, and not a silenced thread. */
  static boolean enabled() {
    return !quiet && !SILENT.get() && "tty".equals(System.getProperty("hesse.progress"));
  }

  /** A bar of {@code total} steps named {@code task}; a silent one when bars are off. */
  static Progress start(String task, long total) {
    if (!enabled()) return NONE;
    int columns = Integer.getInteger("hesse.columns", 100);
    PrintStream err = System.err;
    ProgressBar b = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, total))
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
        .setConsumer(new ConsoleProgressBarConsumer(err, Math.max(40, columns - 1))).build();
    Progress p = new Progress(b);
    synchronized (OPEN) {
      OPEN.add(p);
    }
    return p;
  }

  void step() {
    if (bar != null) bar.step();
  }

  void stepTo(long n) {
    if (bar != null) bar.stepTo(n);
  }

  /** The text after the bar, e.g. the current layer or the last loss. */
  void message(String s) {
    if (bar != null) bar.setExtraMessage(s);
  }

  @Override
  public void close() {
    if (bar == null) return;
    bar.close();
    synchronized (OPEN) {
      OPEN.remove(this);
    }
  }

  /** Ends every open bar (before an error line, so the line starts on a fresh row). */
  static void closeAll() {
    List<Progress> open;
    synchronized (OPEN) {
      open = new ArrayList<>(OPEN);
    }
    for (Progress p : open) p.close();
  }
}
