package org.hesse.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import org.hesse.cli.report.Diagnostics;
import org.hesse.cli.report.HtmlReport;
import org.hesse.cli.report.InterlayerMaps;
import org.hesse.cli.report.MonitorStreams;
import org.hesse.cli.report.RunData;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.interlayer.InterLayer;
import org.hesse.hvp.monitor.CusumThreshold;
import org.hesse.io.AtomicFiles;
import org.hesse.io.ModelFiles;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.train.EpochListener;
import org.hesse.train.EpochMetrics;
import org.hesse.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hesse analyze}: trains a network and, at checkpoints (initialisation, every k epochs, the end), computes
 * every parametrised layer's curvature spectrum on a fixed probe set drawn from the training data; writes a run
 * directory with the metrics, spectra, diagnostics and an offline HTML report.
 *
 * <p>Training is never perturbed: the analysis runs in the trainer's epoch listener on a copy of θ and draws its
 * randomness (probe set, ARPACK start, Hutch++ and SLQ probes) from its own seeded generators.
 *
 * <p>Crash safety: after each checkpoint its weights, spectra.json, metrics.csv, diagnostics.json and report.html
 * are rewritten atomically, so an interruption leaves every finished checkpoint readable. {@code --resume}
 * continues a run by deterministic replay: the trainer's shuffling generator and optimizer state are not
 * exported, so training restarts from the same seed (same bits), skips the analysis of finished checkpoints,
 * checks that the replayed weights at the last one equal the saved ones bit for bit, and goes on from there.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true,
    description = "Train a network and track each layer's Hessian (or GGN / back-matching) spectrum through training: "
        + "writes config.json, model.json, model.safetensors, metrics.csv, training.csv, spectra.json, diagnostics.json, "
        + "report.html and checkpoints/ into --out. A diverged run (training loss not finite or 1000 times its initial "
        + "value) exits 3 and keeps its finished checkpoints but writes no final model.safetensors.")
public final class AnalyzeCommand implements Callable<Integer> {
  /** Salt of the probe-set draw, so it never coincides with the split / initialisation / shuffling streams. */
  static final long PROBE_STREAM = 0x9E3779B97F4A7C15L;

  @Spec CommandSpec spec;
  @Mixin TrainCommand.TrainingOptions opts;

  @Option(names = "--out", required = true, description = "Run directory to write.")
  Path out;

  @Option(names = "--every", defaultValue = "5", description = "Analyse every k epochs, besides initialisation and the end (default ${DEFAULT-VALUE}).")
  int every;

  @Option(names = "--curvature", defaultValue = "hessian", description = "hessian, ggn or backmatching (default ${DEFAULT-VALUE}).")
  String curvature;

  @Option(names = "--top", defaultValue = "5", description = "Largest eigenvalues per layer (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--full", description = "Every eigenvalue by dense LAPACK (small layers only; refused beyond the memory budget).")
  boolean full;

  @Option(names = "--no-density", negatable = true, defaultValue = "true",
      description = "SLQ spectral density and the metrics derived from it (default on).")
  boolean density;

  @Option(names = "--slq-steps", defaultValue = "40", description = "Lanczos steps per SLQ probe (default ${DEFAULT-VALUE}).")
  int slqSteps;

  @Option(names = "--slq-probes", defaultValue = "5", description = "SLQ probes (default ${DEFAULT-VALUE}).")
  int slqProbes;

  @Option(names = "--probe-size", defaultValue = "512", description = "Training rows of the fixed probe set the spectra are computed on; the whole training set if smaller (default ${DEFAULT-VALUE}).")
  int probeSize;

  @Option(names = "--curvature-batch", defaultValue = "0", description = "Rows per batch of the curvature passes. "
      + "0 (the default): 256, which does not change the result; with batch norm, the whole probe set in one batch (there the "
      + "partition changes the Hessian).")
  int curvatureBatch;

  @Option(names = "--resume", description = "Continue the run in --out from its last finished checkpoint (same options; "
      + "--epochs may grow); a run with no finished checkpoint (or no run at all) is started afresh.")
  boolean resume;

  @Option(names = "--force", description = "Write into an existing non-empty --out (its files of the same names are replaced).")
  boolean force;

  @Option(names = "--interlayer", description = "At the end, the inter-layer metrics of every pair of layers (as `hesse "
      + "interlayer`, default settings) at the final weights on the probe set, into interlayer.json and the report's heat "
      + "maps. Costs about one `hesse interlayer` on the probe set: exact blocks where they fit the memory budget, else "
      + "64 Hutchinson probes per norm.")
  boolean interlayer;

  static final String INTERLAYER = "interlayer.json";

  /** Test hook: called with the epoch after each checkpoint's files are written (an exception simulates a crash). */
  IntConsumer afterCheckpoint;

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    check();
    PrintWriter pw = spec.commandLine().getOut();
    if (!resume) RunDir.requireWritable(out, force, "--resume to continue the run there");
    long t0 = System.nanoTime();
    TrainCommand.Prepared p = opts.prepare();
    for (String note : opts.notes) spec.commandLine().getErr().println(note);
    Network net = p.net;
    int nTrain = p.trainX.length / net.inputSize();
    int[] probe = probeRows(nTrain, probeSize, opts.seed);
    double[] probeX = rows(p.trainX, probe, net.inputSize());
    int tw = net.loss().targetWidth(net.outputSize());
    double[] probeY = rows(p.trainY, probe, tw);
    boolean ce = "cross_entropy".equals(net.loss().name());
    long dataRank = (long) probe.length * (ce ? Math.max(1, net.outputSize() - 1) : net.outputSize());

    Map<String, Object> config = config(p, probe.length);
    List<Map<String, Object>> done = new ArrayList<>();
    if (resume) {
      done = resumeState(config);
      if (done.isEmpty()) {
        pw.printf("resume: no finished checkpoint in %s; starting the run afresh%n", out);
      } else {
        pw.printf("resume: %d finished checkpoint(s), the last at epoch %d; replaying training from the seed%n", done.size(),
            lastEpoch(done));
      }
    }
    Files.createDirectories(out);
    // A resumed run keeps its files until the replay is verified (Recorder.verifyReplay): a refused --resume writes nothing.
    if (done.isEmpty()) writeRunFiles(config, p);

    SpectrumEngine.Options so = new SpectrumEngine.Options();
    so.curvature = curvature;
    so.top = top;
    so.full = full;
    so.density = density;
    so.slqSteps = slqSteps;
    so.slqProbes = slqProbes;
    so.seed = opts.seed;

    Map<String, Object> header = new LinkedHashMap<>();
    header.put("curvature", curvature);
    header.put("probe_samples", probe.length);
    header.put("slq_steps", density ? slqSteps : null);
    header.put("slq_probes", density ? slqProbes : null);
    Recorder rec = new Recorder(pw, p, so, probeX, probeY, dataRank, done, header, config);
    org.hesse.hvp.monitor.TraceMonitor monitor;
    long trainStart;
    try (Progress bar = Progress.start("analyze", opts.epochs)) {
      rec.bar = bar;
      MonitorOption mo = opts.monitorOption();
      monitor = mo == null ? null : mo.build(net, opts.seed, out, spec.commandLine().getErr());
      trainStart = System.nanoTime();
      Trainer trainer = p.trainer(rec, out.resolve(AnalyzeFiles.TRAINING), monitor);
      double[] theta = p.theta.clone();
      // a diverged run keeps its finished checkpoints (each written atomically) and training.csv, but no final weights
      TrainCommand.Divergence.fit(() -> trainer.fit(theta, p.buffers, p.trainX, p.trainY, p.valX, p.valY),
          out.resolve(RunDir.WEIGHTS));
      ModelFiles.writeParameters(net, theta, p.buffers, out.resolve(RunDir.WEIGHTS));
      if (interlayer) {
        bar.message("inter-layer metrics at the final weights");
        rec.writeInterlayer(theta);
      }
      rec.complete = true;
      rec.writeAll();
    }
    if (monitor != null) opts.monitorOption().writeSummary(monitor, out, (System.nanoTime() - trainStart) / 1e9);
    pw.printf(Locale.ROOT, "done: %d checkpoints, %d diagnostic finding(s), %.1f s%s -> %s%n", rec.checkpoints.size(),
        rec.findings.size(), (System.nanoTime() - t0) / 1e9,
        p.targetStandardizer == null ? "" : " (losses are mse on standardised targets: see standardizer.json)",
        out.resolve(AnalyzeFiles.REPORT));
    return 0;
  }

  private void check() {
    if (!SpectrumEngine.CURVATURES.contains(curvature)) {
      throw new IllegalArgumentException("--curvature: expected one of " + SpectrumEngine.CURVATURES + ", got '" + curvature + "'");
    }
    if (every < 1) throw new IllegalArgumentException("--every: expected >= 1 epochs, got " + every);
    if (probeSize < 1) throw new IllegalArgumentException("--probe-size: expected >= 1 rows, got " + probeSize);
    if (top < 0) throw new IllegalArgumentException("--top: expected >= 0, got " + top);
    if (slqSteps < 1) throw new IllegalArgumentException("--slq-steps: expected >= 1, got " + slqSteps);
    if (slqProbes < 1) throw new IllegalArgumentException("--slq-probes: expected >= 1, got " + slqProbes);
    if (curvatureBatch < 0) {
      throw new IllegalArgumentException("--curvature-batch: expected >= 1 rows (or 0 for the default), got " + curvatureBatch);
    }
    opts.check();
    if (resume && opts.monitor != null) {
      throw new IllegalArgumentException("--monitor: not with --resume (the trace series and their CUSUM would restart mid-run)");
    }
  }

  /** Whether an epoch is a checkpoint: initialisation, every k epochs, and the last. */
  boolean isCheckpoint(int epoch) {
    return epoch == 0 || epoch % every == 0 || epoch == opts.epochs;
  }

  /**
   * The probe rows: min(size, n) distinct training rows by a partial Fisher–Yates shuffle from a generator of its
   * own (seeded from the run's seed and a fixed salt), sorted; the whole set, in order, when size ≥ n.
   */
  static int[] probeRows(int n, int size, long seed) {
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    if (size >= n) return idx;
    SplittableRandom r = new SplittableRandom(seed ^ PROBE_STREAM);
    for (int i = 0; i < size; i++) {
      int j = i + r.nextInt(n - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int[] out = Arrays.copyOf(idx, size);
    Arrays.sort(out);
    return out;
  }

  static double[] rows(double[] a, int[] idx, int width) {
    double[] out = new double[idx.length * width];
    for (int i = 0; i < idx.length; i++) System.arraycopy(a, idx[i] * width, out, i * width, width);
    return out;
  }

  private Map<String, Object> config(TrainCommand.Prepared p, int probeSamples) throws IOException {
    // The training keys exactly as `hesse train` writes them, then the analysis settings.
    Map<String, Object> c = p.config();
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("every", every);
    a.put("curvature", curvature);
    a.put("top", top);
    a.put("full", full);
    a.put("density", density);
    a.put("slq_steps", slqSteps);
    a.put("slq_probes", slqProbes);
    a.put("probe_size", probeSize);
    a.put("probe_samples", probeSamples);
    a.put("probe_draw", "partial Fisher-Yates from SplittableRandom(seed ^ 0x9E3779B97F4A7C15), rows sorted");
    a.put("curvature_batch", curvatureBatch);
    c.put("analysis", a);
    return c;
  }

  /**
   * Checks the stored run against this one and returns its finished checkpoints: none when the run was stopped
   * before its first one (or never started), so it starts afresh. Temporary files a killed run left are removed.
   */
  private List<Map<String, Object>> resumeState(Map<String, Object> config) throws IOException {
    RunDir.removeStaleTemporaries(out);
    RunDir.removeStaleTemporaries(out.resolve(AnalyzeFiles.CHECKPOINTS));
    Path cfg = out.resolve(AnalyzeFiles.CONFIG);
    if (!Files.exists(cfg)) {
      // killed before its config was written: nothing of the run is there yet, unless something else is
      if (Files.isDirectory(out) && !RunDir.isEmpty(out)) {
        throw new IllegalArgumentException("--resume: " + out + " is not empty but holds no config.json of an analysed run; "
            + "choose another directory");
      }
      return List.of();
    }
    JsonNode saved = readResumed(cfg, () -> Json.MAPPER.readTree(Files.readString(cfg)));
    JsonNode now = Json.MAPPER.readTree(Json.write(config));
    List<String> diff = new ArrayList<>();
    for (Iterator<String> it = now.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      // "classes" is derived from the data, and runs written before it was stored lack it
      if (RunDir.CLASSES.equals(k) && !saved.has(k)) continue;
      if (!"epochs".equals(k) && !now.get(k).equals(saved.get(k))) diff.add(k + " (run: " + saved.get(k) + ", now: " + now.get(k) + ")");
    }
    if (!diff.isEmpty()) {
      throw new IllegalArgumentException("--resume: the options differ from the run's config.json: " + String.join("; ", diff));
    }
    if (!Files.exists(out.resolve(AnalyzeFiles.SPECTRA))) return List.of();
    Path spectra = out.resolve(AnalyzeFiles.SPECTRA);
    // the structure resumption relies on, checked here so that a damaged file is named (not a ClassCastException)
    JsonNode cps = readResumed(spectra, () -> Json.MAPPER.readTree(Files.readString(spectra))).get("checkpoints");
    if (cps == null || !cps.isArray()) {
      throw new IllegalArgumentException("--resume: " + spectra + ": no 'checkpoints' list; " + RESUME_EXPECTED);
    }
    for (int i = 0; i < cps.size(); i++) {
      if (!cps.get(i).path("epoch").isNumber()) {
        throw new IllegalArgumentException("--resume: " + spectra + ": checkpoint " + i + " has no numeric 'epoch'; "
            + RESUME_EXPECTED);
      }
    }
    List<Map<String, Object>> done = AnalyzeFiles.readCheckpoints(out);
    int last = lastEpoch(done);
    if (last > opts.epochs) {
      throw new IllegalArgumentException("--epochs: expected >= " + last + " (the run's last checkpoint), got " + opts.epochs);
    }
    if (last >= 0 && !Files.exists(AnalyzeFiles.checkpointWeights(out, last))) {
      throw new IllegalArgumentException("--resume: missing " + AnalyzeFiles.checkpointWeights(out, last));
    }
    return done;
  }

  static final String RESUME_EXPECTED = "expected the file analyze wrote (or start afresh with --force)";

  private interface Read<T> {
    T read() throws IOException;
  }

  /** Reads a file of the run being resumed; a file that is not JSON is refused naming it. */
  private static <T> T readResumed(Path file, Read<T> read) throws IOException {
    try {
      return read.read();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("--resume: " + file + " is not valid JSON: " + e.getOriginalMessage() + "; "
          + RESUME_EXPECTED);
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("--resume: " + file + " is not UTF-8 text; " + RESUME_EXPECTED);
    }
  }

  private static int lastEpoch(List<Map<String, Object>> cps) {
    return cps.isEmpty() ? -1 : ((Number) cps.get(cps.size() - 1).get("epoch")).intValue();
  }

  /** The epoch listener: progress lines, and the analysis at checkpoints. */
  /** The run's description: config.json, standardizer.json, model.json. */
  private void writeRunFiles(Map<String, Object> config, TrainCommand.Prepared p) throws IOException {
    AtomicFiles.writeString(out.resolve(AnalyzeFiles.CONFIG), Json.write(config) + "\n");
    p.writeStandardizer(out);
    ModelFiles.spec(p.net).write(out.resolve(RunDir.MODEL));
  }

  private final class Recorder implements EpochListener {
    final PrintWriter pw;
    final TrainCommand.Prepared p;
    final SpectrumEngine.Options so;
    final double[] probeX;
    final double[] probeY;
    final long dataRank;
    final List<Map<String, Object>> checkpoints;
    final Map<String, Object> header;
    final Map<String, Object> config;
    final int resumeEpoch;
    final List<RunData.EpochPoint> history = new ArrayList<>();
    List<RunData.Finding> findings = List.of();
    boolean complete;
    Progress bar = Progress.NONE;

    Recorder(PrintWriter pw, TrainCommand.Prepared p, SpectrumEngine.Options so, double[] probeX, double[] probeY,
             long dataRank, List<Map<String, Object>> done, Map<String, Object> header, Map<String, Object> config) {
      this.pw = pw;
      this.p = p;
      this.so = so;
      this.probeX = probeX;
      this.probeY = probeY;
      this.dataRank = dataRank;
      this.checkpoints = new ArrayList<>(done);
      this.header = header;
      this.config = config;
      this.resumeEpoch = lastEpoch(done);
    }

    final TrainCommand.Divergence divergence = new TrainCommand.Divergence();

    @Override
    public void onEpoch(EpochMetrics m, double[] theta) {
      try {
        history.add(new RunData.EpochPoint(m.epoch(), m.trainLoss(), m.valLoss(), m.trainAccuracy(), m.valAccuracy()));
        String line = TrainCommand.EpochLines.describe(m, opts.epochs);
        if (Progress.enabled()) {
          bar.stepTo(m.epoch());
          bar.message(line.substring(line.indexOf("  ") + 2));
        } else {
          pw.println(line);
        }
        pw.flush();
        divergence.check(m);
        if (m.epoch() == resumeEpoch) verifyReplay(m.epoch(), theta);
        if (m.epoch() > resumeEpoch && isCheckpoint(m.epoch())) {
          analyse(m, theta);
          if (afterCheckpoint != null) afterCheckpoint.accept(m.epoch());
        }
        pw.flush();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    private void verifyReplay(int epoch, double[] theta) throws IOException {
      Path saved = AnalyzeFiles.checkpointWeights(out, epoch);
      double[] s = ModelFiles.readParameters(p.net, saved);
      if (!Arrays.equals(s, theta)) {
        throw new IllegalArgumentException("--resume: the replayed weights at epoch " + epoch + " differ from " + saved
            + " (different options, e.g. --epochs with a step or cosine schedule, or a different build or thread count)");
      }
      pw.printf("resume: replayed weights at epoch %d are identical to %s; continuing%n", epoch, saved);
      writeRunFiles(config, p);
    }

    private Curvature probeCurvature;

    /** The probe set's curvature at {@code theta} (built at the first checkpoint, then moved). */
    private Curvature probeCurvature(double[] theta) {
      Network net = p.net;
      int rows = probeY.length / net.loss().targetWidth(net.outputSize());
      int batch = curvatureBatch > 0 ? curvatureBatch : net.batchCoupled() ? rows : SpectrumCommand.DEFAULT_BATCH;
      if (probeCurvature == null) {
        probeCurvature = Curvature.of(net, theta, p.buffers, Mode.ANALYSIS, probeX, probeY, batch);
      } else {
        probeCurvature.update(theta, p.buffers);
      }
      return probeCurvature;
    }

    /** interlayer.json: every pair of layers at {@code theta} on the probe set, default settings of `hesse interlayer`. */
    void writeInterlayer(double[] theta) throws IOException {
      long t0 = System.nanoTime();
      Curvature c = probeCurvature(theta);
      InterLayer.Options o = new InterLayer.Options();
      o.seed = opts.seed;
      InterLayer il = new InterLayer(c, o);
      // the cache mode Curvature.of took: the system property's (auto unless set)
      String cacheOption = Curvature.CacheMode.fromSystemProperty().id;
      Map<String, Object> r = InterlayerCommand.report(c, cacheOption, "analysis", o, il.compute(il.allPairs()), t0);
      AtomicFiles.writeString(out.resolve(INTERLAYER), Json.write(r) + "\n");
    }

    private void analyse(EpochMetrics m, double[] theta) throws IOException {
      long t0 = System.nanoTime();
      Network net = p.net;
      // p.buffers is the vector training updates in place: at a checkpoint it holds that epoch's running statistics
      ModelFiles.writeParameters(net, theta, p.buffers, AnalyzeFiles.checkpointWeights(out, m.epoch()));
      // one Curvature on the fixed probe set, moved to each checkpoint's weights (its buffers are reused)
      Curvature c = probeCurvature(theta);
      NumericalFailure.requireFinite("the probe loss at epoch " + m.epoch(), c.loss());
      SpectrumEngine engine = new SpectrumEngine(c, so);
      engine.progress = bar;
      List<Map<String, Object>> layers = new ArrayList<>();
      for (int l : net.parametrisedLayers()) layers.add(engine.layer(l));
      Map<String, Object> cp = new LinkedHashMap<>();
      cp.put("epoch", m.epoch());
      cp.put("steps", m.steps());
      cp.put("train_loss", Json.num(m.trainLoss()));
      cp.put("val_loss", Json.num(m.valLoss()));
      cp.put("train_accuracy", Json.num(m.trainAccuracy()));
      cp.put("val_accuracy", Json.num(m.valAccuracy()));
      cp.put("gap", Json.num(m.valLoss() - m.trainLoss()));
      cp.put("probe_loss", Json.num(c.loss()));
      cp.put("layers", layers);
      checkpoints.add(cp);
      writeAll();
      StringBuilder s = new StringBuilder();
      for (Map<String, Object> l : layers) {
        s.append(String.format(Locale.ROOT, "  [%s] λmax %s tr %s erank %s", l.get("name"), g(l.get("lambda_max")),
            g(l.get("trace")), g(l.get("effective_rank"))));
      }
      bar.message(String.format(Locale.ROOT, "checkpoint %d (epoch %d) written", checkpoints.size(), m.epoch()));
      if (!Progress.enabled()) {
        pw.printf(Locale.ROOT, "checkpoint %d (epoch %d): %.2f s%s%n", checkpoints.size(), m.epoch(), (System.nanoTime() - t0) / 1e9, s);
      }
    }

    /** Rewrites every derived file from the finished checkpoints, each atomically; spectra.json first. */
    void writeAll() throws IOException {
      AnalyzeFiles.writeSpectra(out, header, checkpoints);
      AnalyzeFiles.writeMetricsCsv(out, checkpoints);
      List<RunData.Checkpoint> cps = new ArrayList<>();
      for (Map<String, Object> c : checkpoints) cps.add(AnalyzeFiles.checkpoint(c));
      findings = Diagnostics.evaluate(cps, dataRank);
      AnalyzeFiles.writeDiagnostics(out, findings, cps.size(), dataRank);
      String status = complete ? "complete" : String.format(Locale.ROOT, "in progress (%d checkpoints, epoch %d of %d)",
          cps.size(), history.isEmpty() ? 0 : history.get(history.size() - 1).epoch(), opts.epochs);
      String title = "hesse analyze: " + config.get("dataset") + ", " + config.get("model") + ", " + curvature;
      AtomicFiles.writeString(out.resolve(AnalyzeFiles.REPORT),
          HtmlReport.render(new HtmlReport.Input(title, status, config, List.copyOf(history), cps, findings, dataRank,
              opts.monitor == null ? null : MonitorStreams.read(out.resolve(MonitorOption.CSV)),
              CusumThreshold.calibrated().settings().h(),
              interlayer ? InterlayerMaps.read(out.resolve(INTERLAYER)) : null)));
    }
  }

  private static String g(Object o) {
    return o == null ? "-" : String.format(Locale.ROOT, "%.4g", ((Number) o).doubleValue());
  }
}
