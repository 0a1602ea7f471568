package org.hesse.hvp.monitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.CurvatureOperator;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.train.StepListener;

/**
 * Online per-layer trace monitor for a {@link org.hesse.train.Trainer} ({@code stepListener(K, monitor)}): at every
 * call it estimates each parametrised layer's Hessian trace with {@link LayerTraces#estimate} (P Rademacher probes,
 * one P-direction pass of the full Hessian taking per-layer quadratic forms) on the step's mini-batch
 * ({@code source = batch}) and, when given, on a fixed probe batch ({@code source = probe}); both curvatures are
 * built once and moved to each call's θ (and batch) with {@link Curvature#update}, reusing their buffers. It feeds
 * each (source, layer) series to its own {@link Cusum} and reports the first alarm of each.
 *
 * <p>The Hessian is that of the mean loss over the batch's rows in {@link Mode#ANALYSIS} (batch norm with the
 * batch's statistics, no dropout), at the parameters after the step. Probes come from the monitor's own generator:
 * training takes the same steps with or without it.
 *
 * <p>Output: with a CSV path, a header written atomically at construction, then per call one append of all its
 * lines (one per (source, layer)) in a single write, so a reader never sees part of a step.
 *
 * <p>Weight-shared parameters are out of reach: the graph engine has no weight sharing, so every layer's block is
 * its own parameters' block and nothing is assembled across uses.
 */
public final class TraceMonitor implements StepListener {
  /** The CSV header; one line per (step, source, layer). */
  public static final String HEADER = "step,epoch,source,layer,trace,se,probes,cusum,alarm";

  /** One estimate. */
  public record Row(long step, int epoch, String source, String layer, double trace, double se, int probes,
                    double cusum, boolean alarm) {
    String csv() {
      return String.format(Locale.ROOT, "%d,%d,%s,%s,%.17g,%.17g,%d,%.17g,%d", step, epoch, source, layer, trace, se,
          probes, cusum, alarm ? 1 : 0);
    }
  }

  /** A memorisation alarm: the step, epoch, source and layer at which a trace series' CUSUM first crossed h. */
  public record Alarm(long step, int epoch, String source, String layer, double statistic) {
    @Override public String toString() {
      return String.format(Locale.ROOT, "memorisation alarm: layer %s (%s series) at step %d, epoch %d, CUSUM %.3g",
          layer, source, step, epoch, statistic);
    }
  }

  private final Network net;
  private final int probes;
  private final Curvature.Kind kind;
  private final SplittableRandom rng;
  private final Cusum.Settings detector;
  private final Path csv;
  private final Consumer<Alarm> onAlarm;
  private final double[] probeX;
  private final double[] probeY;
  private CurvatureOperator batchOperator;  // kept across calls: its curvature moves to each step's θ and batch
  private double[] batchX;  // the step's batch, copied (its rows only)
  private double[] batchY;
  private final double[] z;  // the probes of one estimate
  private CurvatureOperator probeOperator;
  private final Cusum[][] cusums = new Cusum[2][];  // [source][parametrised layer]
  private final List<Row> rows = new ArrayList<>();
  private final List<Alarm> alarms = new ArrayList<>();
  private long nanos;

  private TraceMonitor(Builder b) {
    this.net = b.net;
    this.probes = b.probes;
    this.kind = b.kind;
    this.rng = new SplittableRandom(b.seed);
    this.detector = b.detector;
    this.csv = b.csv;
    this.onAlarm = b.onAlarm;
    this.probeX = b.probeX;
    this.probeY = b.probeY;
    this.z = new double[probes * net.paramCount()];
    int layers = net.parametrisedLayers().size();
    for (int s = 0; s < 2; s++) {
      cusums[s] = new Cusum[layers];
      for (int i = 0; i < layers; i++) cusums[s][i] = new Cusum(detector);
    }
    if (csv != null) {
      try {
        AtomicFiles.writeString(csv, HEADER + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("monitor: cannot write " + csv + ": " + AtomicFiles.reason(e), e);
      }
    }
  }

  public static Builder builder(Network net) {
    return new Builder(net);
  }

  @Override
  public void onStep(long step, int epoch, double[] theta, double[] x, double[] y, int batchRows) {
    long t0 = System.nanoTime();
    int tw = net.loss().targetWidth(net.outputSize());
    double[] buffers = net.bufferCount() == 0 ? null : net.initialBuffers();  // unused in ANALYSIS mode
    if (batchX == null || batchX.length != batchRows * net.inputSize()) {  // first call, or a partial batch
      batchX = new double[batchRows * net.inputSize()];
      batchY = new double[batchRows * tw];
    }
    System.arraycopy(x, 0, batchX, 0, batchX.length);
    System.arraycopy(y, 0, batchY, 0, batchY.length);
    if (batchOperator == null || batchOperator.curvature().samples() != batchRows) {
      batchOperator = Curvature.of(net, theta, buffers, Mode.ANALYSIS, batchX, batchY, batchRows).full(kind);
    } else {
      batchOperator.curvature().update(theta, batchX, batchY);
    }
    StringBuilder out = new StringBuilder();
    record(step, epoch, 0, LayerTraces.estimate(batchOperator, probes, rng, z), out);
    if (probeX != null) {
      int n = probeX.length / net.inputSize();
      if (probeOperator == null) {
        probeOperator = Curvature.of(net, theta, buffers, Mode.ANALYSIS, probeX, probeY, n).full(kind);
      } else {
        probeOperator.curvature().update(theta);
      }
      record(step, epoch, 1, LayerTraces.estimate(probeOperator, probes, rng, z), out);
    }
    if (csv != null) {
      try {
        Files.write(csv, out.toString().getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("monitor: cannot append to " + csv + ": " + AtomicFiles.reason(e), e);
      }
    }
    nanos += System.nanoTime() - t0;
  }

  /** Wall-clock seconds spent in the monitor so far (its share of a training run's time). */
  public double seconds() { return nanos / 1e9; }

  private void record(long step, int epoch, int source, LayerTraces.Estimate e, StringBuilder out) {
    List<Integer> layers = net.parametrisedLayers();
    String name = source == 0 ? "batch" : "probe";
    for (int i = 0; i < layers.size(); i++) {
      Cusum c = cusums[source][i];
      boolean alarm = c.feed(e.trace()[i]);
      Row r = new Row(step, epoch, name, net.layerName(layers.get(i)), e.trace()[i], e.standardError()[i], probes,
          c.statistic(), alarm);
      rows.add(r);
      out.append(r.csv()).append('\n');
      if (alarm) {
        Alarm a = new Alarm(step, epoch, name, r.layer(), c.statistic());
        alarms.add(a);
        if (onAlarm != null) onAlarm.accept(a);
      }
    }
  }

  /** Every estimate so far, in order. */
  public List<Row> rows() { return Collections.unmodifiableList(rows); }

  /** The alarms so far (at most one per (source, layer)). */
  public List<Alarm> alarms() { return Collections.unmodifiableList(alarms); }

  public Cusum.Settings detector() { return detector; }

  /** Configuration of a {@link TraceMonitor}. */
  public static final class Builder {
    private final Network net;
    private int probes = 5;
    private Curvature.Kind kind = Curvature.Kind.HESSIAN;
    private long seed;
    private Cusum.Settings detector = CusumThreshold.calibrated().settings();
    private Path csv;
    private Consumer<Alarm> onAlarm;
    private double[] probeX;
    private double[] probeY;

    private Builder(Network net) {
      if (net == null) throw new IllegalArgumentException("net: expected a network, got null");
      this.net = net;
    }

    /** Rademacher probes per estimate (default 5). */
    public Builder probes(int p) {
      if (p < 1) throw new IllegalArgumentException("probes: expected >= 1, got " + p);
      this.probes = p;
      return this;
    }

    public Builder kind(Curvature.Kind k) {
      this.kind = k;
      return this;
    }

    /** Seed of the probe generator (default 0). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** The change detector (default: the calibrated threshold, {@link CusumThreshold#calibrated()}). */
    public Builder detector(Cusum.Settings s) {
      this.detector = s;
      return this;
    }

    /** Stream the estimates to this CSV file (default: none, only {@link #rows()}). */
    public Builder csv(Path file) {
      this.csv = file;
      return this;
    }

    public Builder onAlarm(Consumer<Alarm> c) {
      this.onAlarm = c;
      return this;
    }

    /** Also estimate on this fixed batch (features row-major N × input, targets) at every call. */
    public Builder probeBatch(double[] x, double[] y) {
      int n = x.length / net.inputSize();
      if (x.length == 0 || x.length % net.inputSize() != 0
          || y.length != n * net.loss().targetWidth(net.outputSize())) {
        throw new IllegalArgumentException("probe batch: expected N × " + net.inputSize() + " features and N × "
            + net.loss().targetWidth(net.outputSize()) + " targets, got " + x.length + " and " + y.length);
      }
      this.probeX = x.clone();
      this.probeY = y.clone();
      return this;
    }

    public TraceMonitor build() {
      return new TraceMonitor(this);
    }
  }
}
