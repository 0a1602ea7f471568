package org.hesse.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.hesse.cli.suite.SuiteData;
import org.hesse.cli.suite.SuiteSpec;
import org.hesse.data.Dataset;
import org.hesse.data.Standardizer;
import org.hesse.hvp.monitor.Cusum;
import org.hesse.hvp.monitor.CusumThreshold;
import org.hesse.hvp.monitor.TraceMonitor;
import org.hesse.io.AtomicFiles;
import org.hesse.nn.Init;
import org.hesse.nn.Network;
import org.hesse.train.EpochMetrics;
import org.hesse.train.Schedule;
import org.hesse.train.Sgd;
import org.hesse.train.Trainer;
import org.hesse.train.TrainingDivergedException;

/**
 * The memorisation experiment of issue 14 (item 2): label-noise runs with the per-layer trace monitor, and how well
 * its CUSUM alarm tells noisy runs from clean ones, next to a baseline detector on the validation loss.
 *
 * <p>Protocol of a run (data set, architecture, noise p, seed): the data set's stratified 80/20 split from the seed
 * (training part capped at {@code maxTrain} rows, test part at {@code maxTest}), exactly round(p · n) training labels
 * flipped to another class ({@link SuiteData#split}; the validation labels stay clean), features standardised with
 * the training part's statistics; an MLP of two hidden layers (width, activation) with PyTorch-default
 * initialisation from the seed; SGD (momentum 0.9), constant rate, batch {@code batch}, for ⌈steps / steps per
 * epoch⌉ epochs; the monitor ({@link TraceMonitor}, P = {@code probes}) every ⌈steps / points⌉ steps on the step's
 * mini-batch; validation loss after every epoch.
 *
 * <p>Runs with role {@code calibration} (their own seeds, clean only) fix both detectors' thresholds; runs with role
 * {@code evaluation} (other seeds, every noise level) measure them, so the false-alarm rate is measured on clean
 * runs the thresholds never saw. See {@link Analysis} for the detectors and docs/memorisation.md for the results.
 *
 * <p>Layout of {@code out}: {@value #GRID} (the grid; a resume must give the same), {@code runs/ID/} with
 * {@value #MONITOR} (the monitor's stream), {@value #TRAINING} (per-epoch metrics) and {@value #MARKER} (written
 * last, atomically: the run is finished; any other run directory is started again), and the analysis:
 * {@value #DETECTIONS} (per run: statistics and alarm epochs), {@value #THRESHOLDS}, {@value #SUMMARY} (per detector
 * and noise level) and {@code report.md}.
 */
final class ExperimentMemorisation {
  static final String GRID = "grid.json";
  static final String RUNS = "runs";
  static final String MONITOR = "monitor.csv";
  static final String TRAINING = "training.csv";
  static final String MARKER = "run.json";
  static final String DETECTIONS = "detections.csv";
  static final String SUMMARY = "summary.csv";
  static final String THRESHOLDS = "thresholds.csv";
  static final String TRAINING_HEADER = "epoch,steps,train_loss,train_accuracy,val_loss,val_accuracy";
  static final String CALIBRATION = "calibration";
  static final String EVALUATION = "evaluation";

  /** The grid and protocol. Architectures are ACT-WIDTH, e.g. tanh-64 (two hidden layers of that width). */
  record Config(List<String> datasets, List<String> archs, List<Double> noises, int evalSeeds, int calibrationSeeds,
                int steps, int points, int probes, int batch, double lr, int maxTrain, int maxTest, double alpha,
                int consecutive, int jobs, Path out) {
    Config {
      if (datasets.isEmpty()) throw new IllegalArgumentException("--datasets: expected at least one data set, got none");
      for (String d : datasets) {
        if (!SuiteData.catalog().contains(d)) {
          throw new IllegalArgumentException("--datasets: unknown data set '" + d + "'; expected names of the study's catalog, e.g. "
              + "digits, breast_cancer, wine, fashion_mnist");
        }
        if (SuiteData.task(d) != Dataset.Task.CLASSIFICATION) {
          throw new IllegalArgumentException("--datasets: '" + d + "' is a regression data set; label noise needs classes");
        }
      }
      if (archs.isEmpty()) throw new IllegalArgumentException("--archs: expected at least one architecture, got none");
      for (String a : archs) arch(a);
      if (noises.isEmpty() || noises.get(0) != 0.0) {
        throw new IllegalArgumentException("--noise: expected a list starting with 0 (the clean runs), got " + noises);
      }
      for (double p : noises) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("--noise: expected fractions in [0, 1), got " + p);
      }
      // run directories are named by whole percent
      if (noises.stream().map(p -> Math.round(100 * p)).distinct().count() != noises.size()) {
        throw new IllegalArgumentException("--noise: expected levels that differ in whole percent, got " + noises);
      }
      if (evalSeeds < 1) throw new IllegalArgumentException("--seeds: expected >= 1, got " + evalSeeds);
      if (calibrationSeeds < 1) throw new IllegalArgumentException("--calibration-seeds: expected >= 1, got " + calibrationSeeds);
      if (steps < 1) throw new IllegalArgumentException("--steps: expected >= 1, got " + steps);
      if (points < 12) throw new IllegalArgumentException("--points: expected >= 12 (the CUSUM's reference window is 10 increments), got " + points);
      if (probes < 2) throw new IllegalArgumentException("--probes: expected >= 2, got " + probes);
      if (batch < 1) throw new IllegalArgumentException("--batch: expected >= 1, got " + batch);
      if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("--lr: expected a finite value > 0, got " + lr);
      if (maxTrain < 10 || maxTest < 1) throw new IllegalArgumentException("--max-train/--max-test: expected >= 10 and >= 1 rows");
      if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("--alpha: expected 0 < alpha < 1, got " + alpha);
      if (consecutive < 1) throw new IllegalArgumentException("--consecutive: expected >= 1, got " + consecutive);
      if (jobs < 1) throw new IllegalArgumentException("--jobs: expected >= 1, got " + jobs);
    }

    /** The grid as written to grid.json (everything that changes the runs; not jobs or out). */
    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("datasets", datasets);
      m.put("archs", archs);
      m.put("noises", noises);
      m.put("evaluation_seeds", evalSeeds);
      m.put("calibration_seeds", calibrationSeeds);
      m.put("steps", steps);
      m.put("points", points);
      m.put("probes", probes);
      m.put("batch", batch);
      m.put("lr", lr);
      m.put("max_train", maxTrain);
      m.put("max_test", maxTest);
      return m;
    }
  }

  /** Seeds of the calibration runs start here, so they never coincide with the evaluation seeds 0..n-1. */
  static final int CALIBRATION_SEED0 = 1000;

  /** One planned run. */
  record Run(String id, String dataset, String arch, double noise, int seed, String role) {}

  private ExperimentMemorisation() {}

  static String[] arch(String a) {
    String[] p = a.split("-", -1);
    if (p.length != 2 || !(p[0].equals("tanh") || p[0].equals("relu")) || !p[1].matches("[1-9][0-9]*")) {
      throw new IllegalArgumentException("--archs: expected ACT-WIDTH with ACT tanh or relu, e.g. tanh-64, got '" + a + "'");
    }
    return p;
  }

  static List<Run> plan(Config c) {
    List<Run> runs = new ArrayList<>();
    for (String d : c.datasets()) {
      for (String a : c.archs()) {
        for (int s = 0; s < c.calibrationSeeds(); s++) {
          int seed = CALIBRATION_SEED0 + s;
          runs.add(new Run(id(d, a, 0, seed), d, a, 0, seed, CALIBRATION));
        }
        for (double p : c.noises()) {
          for (int seed = 0; seed < c.evalSeeds(); seed++) runs.add(new Run(id(d, a, p, seed), d, a, p, seed, EVALUATION));
        }
      }
    }
    return runs;
  }

  private static String id(String d, String a, double p, int seed) {
    return String.format(Locale.ROOT, "%s-%s-noise%d-seed%d", d, a, Math.round(100 * p), seed);
  }

  /** Runs every unfinished run, then analyses all of them; returns the analysis. */
  static Analysis run(Config c, PrintWriter log) throws IOException {
    Path grid = c.out().resolve(GRID);
    String gridJson = Json.write(c.toJson());
    if (Files.isRegularFile(grid)) {
      if (!Files.readString(grid).equals(gridJson)) {
        throw new IllegalArgumentException("--out: " + c.out() + " holds another grid (its " + GRID + " differs); resume with "
            + "the same options, or choose another directory");
      }
    } else if (Files.isDirectory(c.out())) {
      try (Stream<Path> s = Files.list(c.out())) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException("--out: " + c.out() + " is not empty and holds no " + GRID + "; choose another directory");
        }
      }
    } else if (Files.exists(c.out())) {
      throw new IllegalArgumentException("--out: " + c.out() + " is a file; expected a directory");
    }
    Files.createDirectories(c.out().resolve(RUNS));
    AtomicFiles.writeString(grid, gridJson);
    List<Run> todo = plan(c).stream().filter(r -> !Files.isRegularFile(runDir(c, r).resolve(MARKER))).toList();
    log.printf(Locale.ROOT, "%d runs, %d to do%n", plan(c).size(), todo.size());
    log.flush();
    Map<String, SuiteData.Source> data = new HashMap<>();
    for (String d : c.datasets()) data.put(d, SuiteData.load(d));
    ExecutorService pool = Executors.newFixedThreadPool(c.jobs());
    try {
      List<Future<?>> fs = new ArrayList<>();
      int[] done = {0};
      for (Run r : todo) {
        fs.add(pool.submit(() -> {
          double secs = one(c, r, data.get(r.dataset()));
          synchronized (log) {
            log.printf(Locale.ROOT, "[%d/%d] %s (%.1f s)%n", ++done[0], todo.size(), r.id(), secs);
            log.flush();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable t = e.getCause();
      if (t instanceof IOException io) throw io;
      if (t instanceof RuntimeException re) throw re;
      throw new IllegalStateException(t);
    } finally {
      pool.shutdownNow();
    }
    Analysis a = Analysis.of(c, readRuns(c));
    a.write(c);
    return a;
  }

  static Path runDir(Config c, Run r) {
    return c.out().resolve(RUNS).resolve(r.id());
  }

  /** The network of an architecture: in-W-act-W-act-classes, cross-entropy. */
  static Network network(String arch, int inputs, int classes) {
    String[] p = arch(arch);
    int w = Integer.parseInt(p[1]);
    return Network.builder(inputs).dense(w).activation(p[0]).dense(w).activation(p[0]).dense(classes).build("cross_entropy");
  }

  /** Trains one run into its directory (started again from scratch if a previous attempt left one). */
  static double one(Config c, Run r, SuiteData.Source src) throws IOException {
    long t0 = System.nanoTime();
    Path dir = runDir(c, r);
    if (Files.exists(dir)) deleteTree(dir);
    Files.createDirectories(dir);
    SuiteSpec.RunSettings rs = new SuiteSpec.RunSettings(c.maxTrain(), c.maxTest(), 0.2, 1, 1, 1, 1, 1, 1, c.lr(), c.batch(),
        "tanh", 2);
    SuiteData.RunSplit split = SuiteData.split(src, rs, r.noise(), r.seed());
    Standardizer st = Standardizer.fit(split.train());
    Dataset train = st.apply(split.train());
    Dataset val = st.apply(split.test());
    int classes = src.all().numClasses();
    Network net = network(r.arch(), train.numFeatures(), classes);
    int n = train.size();
    int stepsPerEpoch = (n + c.batch() - 1) / c.batch();
    int epochs = (c.steps() + stepsPerEpoch - 1) / stepsPerEpoch;
    int every = Math.max(1, (c.steps() + c.points() - 1) / c.points());
    TraceMonitor monitor = TraceMonitor.builder(net).probes(c.probes()).seed(r.seed()).csv(dir.resolve(MONITOR)).build();
    Trainer t = Trainer.builder(net, new Sgd(net.paramCount(), 0.9, 0.0, false), Schedule.constant(c.lr()))
        .batchSize(c.batch()).epochs(epochs).seed(r.seed()).stepListener(every, monitor).build();
    double[] theta = Init.PYTORCH.init(net, r.seed());
    List<EpochMetrics> h;
    boolean diverged = false;
    try {
      h = t.fit(theta, net.initialBuffers(), train.x(), labels(train), val.x(), labels(val));
    } catch (TrainingDivergedException e) {
      h = e.history();
      diverged = true;
    }
    StringBuilder csv = new StringBuilder(TRAINING_HEADER).append('\n');
    for (EpochMetrics m : h) {
      csv.append(String.format(Locale.ROOT, "%d,%d,%.17g,%.17g,%.17g,%.17g%n", m.epoch(), m.steps(), m.trainLoss(),
          m.trainAccuracy(), m.valLoss(), m.valAccuracy()));
    }
    AtomicFiles.writeString(dir.resolve(TRAINING), csv.toString());
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("dataset", r.dataset());
    m.put("arch", r.arch());
    m.put("noise", r.noise());
    m.put("seed", r.seed());
    m.put("role", r.role());
    m.put("train_rows", n);
    m.put("validation_rows", val.size());
    m.put("noisy_rows", split.noisyRows());
    m.put("epochs", epochs);
    m.put("monitor_every", every);
    m.put("diverged", diverged);
    m.put("seconds", secs);
    m.put("monitor_seconds", monitor.seconds());
    AtomicFiles.writeString(dir.resolve(MARKER), Json.write(m));
    return secs;
  }

  private static double[] labels(Dataset d) {
    return Arrays.stream(d.labels()).asDoubleStream().toArray();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  /** What the analysis needs of a finished run, read back from its files. */
  record RunData(Run run, int epochs, List<Double> valLoss, List<Double> trainAccuracy, List<String> layers,
                 List<Integer> pointEpochs, List<double[]> traces) {}

  /** Every planned run's files (all must be finished). */
  static List<RunData> readRuns(Config c) throws IOException {
    List<RunData> out = new ArrayList<>();
    for (Run r : plan(c)) out.add(read(runDir(c, r), r));
    return out;
  }

  /** One run's files: training.csv (per-epoch metrics) and monitor.csv (the batch-source trace series per layer). */
  static RunData read(Path dir, Run r) throws IOException {
    if (!Files.isRegularFile(dir.resolve(MARKER))) throw new IllegalArgumentException(dir + ": run not finished (no " + MARKER + ")");
    List<String> tl = Files.readAllLines(dir.resolve(TRAINING));
    List<Double> val = new ArrayList<>();
    List<Double> acc = new ArrayList<>();
    for (String line : tl.subList(1, tl.size())) {
      String[] f = line.split(",");
      val.add(Double.parseDouble(f[4]));
      acc.add(Double.parseDouble(f[3]));
    }
    List<String> ml = Files.readAllLines(dir.resolve(MONITOR));
    Map<String, List<Double>> byLayer = new LinkedHashMap<>();
    List<Integer> epochs = new ArrayList<>();
    long lastStep = -1;
    for (String line : ml.subList(1, ml.size())) {
      String[] f = line.split(",");
      if (!f[2].equals("batch")) continue;
      long step = Long.parseLong(f[0]);
      if (step != lastStep) {
        epochs.add(Integer.parseInt(f[1]));
        lastStep = step;
      }
      byLayer.computeIfAbsent(f[3], k -> new ArrayList<>()).add(Double.parseDouble(f[4]));
    }
    List<double[]> traces = byLayer.values().stream().map(l -> l.stream().mapToDouble(Double::doubleValue).toArray()).toList();
    return new RunData(r, val.size() - 1, val, acc, new ArrayList<>(byLayer.keySet()), epochs, traces);
  }

  /** Smoothing window (monitor points) and consecutive points of the trace-rise detector. */
  static final int RISE_WINDOW = 5;
  static final int RISE_CONSECUTIVE = 3;

  /**
   * The detectors on a run. Each has a path (its statistic after each monitor point or epoch; an alarm is the first
   * value above the threshold) and a run statistic, the largest value of its path (the run alarms iff that exceeds
   * the threshold).
   * <ul>
   *   <li>cusum: the monitor's own detector, the {@link Cusum} of every layer's batch trace series (window 10,
   *   k 0.5); the path is the largest statistic over the layers after each point;</li>
   *   <li>rise (trace above its running minimum, on the same stream): per layer, s_i = mean of ln t over the last
   *   {@value #RISE_WINDOW} points (undefined while any of them is ≤ 0), r_i = s_i − min_{j ≤ i} s_j, and
   *   b_i = min(r_{i−m+1}, …, r_i) with m = {@value #RISE_CONSECUTIVE}: the layer's smoothed log-trace has stood more
   *   than the threshold above its lowest value so far at m consecutive points; the path is the largest over layers;</li>
   *   <li>baseline (validation loss rising): after epoch e, r_e = L_e / min_{j ≤ e} L_j − 1 (relative excess over the
   *   running minimum, epoch 0 = initialisation included); b_e = min(r_{e−m+1}, …, r_e), so b_e &gt; δ means the
   *   validation loss was more than δ above its running minimum at m consecutive evaluations.</li>
   * </ul>
   */
  record Detection(double[] cusumPath, double[] risePath, List<Integer> pointEpochs, double[] baselinePath, int onsetEpoch) {
    static Detection of(RunData d, int consecutive) {
      int n = d.pointEpochs().size();
      double[] cusum = new double[n];
      double[] rise = new double[n];
      Arrays.fill(rise, Double.NEGATIVE_INFINITY);
      for (double[] t : d.traces()) {
        Cusum cu = new Cusum(new Cusum.Settings(10, 0.5, Double.POSITIVE_INFINITY));
        for (int i = 0; i < n; i++) {
          cu.feed(t[i]);
          cusum[i] = Math.max(cusum[i], cu.statistic());
        }
        double[] b = runningExcess(smoothedLog(t), RISE_CONSECUTIVE, false);
        for (int i = 0; i < n; i++) rise[i] = Math.max(rise[i], b[i]);
      }
      double[] v = d.valLoss().stream().mapToDouble(Double::doubleValue).toArray();
      double[] base = runningExcess(v, consecutive, true);
      int onset = -1;
      for (int e = 0; e < d.trainAccuracy().size() && d.run().noise() > 0; e++) {
        if (d.trainAccuracy().get(e) > 1 - d.run().noise()) {
          onset = e;
          break;
        }
      }
      return new Detection(cusum, rise, d.pointEpochs(), base, onset);
    }

    /** Mean of ln t over the last {@value #RISE_WINDOW} points; NaN until then and while any of them is ≤ 0. */
    static double[] smoothedLog(double[] t) {
      double[] s = new double[t.length];
      for (int i = 0; i < t.length; i++) {
        double sum = 0;
        boolean ok = i + 1 >= RISE_WINDOW;
        for (int j = Math.max(0, i - RISE_WINDOW + 1); j <= i && ok; j++) {
          ok = t[j] > 0 && Double.isFinite(t[j]);
          sum += ok ? Math.log(t[j]) : 0;
        }
        s[i] = ok ? sum / RISE_WINDOW : Double.NaN;
      }
      return s;
    }

    /**
     * b_i = min over the last m values of x_j − running min (relative: x_j / running min − 1); −∞ while fewer than
     * m defined values are in the window (an undefined x is skipped by the running minimum).
     */
    static double[] runningExcess(double[] x, int m, boolean relative) {
      double[] r = new double[x.length];
      double min = Double.POSITIVE_INFINITY;
      for (int i = 0; i < x.length; i++) {
        if (!Double.isNaN(x[i])) min = Math.min(min, x[i]);
        r[i] = Double.isNaN(x[i]) ? Double.NaN : relative ? x[i] / min - 1 : x[i] - min;
      }
      double[] b = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        double lo = i + 1 < m ? Double.NaN : Double.POSITIVE_INFINITY;
        for (int j = Math.max(0, i - m + 1); j <= i && !Double.isNaN(lo); j++) lo = Double.isNaN(r[j]) ? Double.NaN : Math.min(lo, r[j]);
        b[i] = Double.isNaN(lo) ? Double.NEGATIVE_INFINITY : lo;
      }
      return b;
    }

    double[] path(String kind) {
      return switch (kind) {
        case CUSUM -> cusumPath;
        case RISE -> risePath;
        default -> baselinePath;
      };
    }

    /** The largest value of a detector kind's path (its run statistic). */
    double statistic(String kind) {
      double m = Double.NEGATIVE_INFINITY;
      for (double x : path(kind)) m = Math.max(m, x);
      return m;
    }

    /** Epoch of a detector kind's first alarm at this threshold, or -1 (monitor points carry their epoch). */
    int alarm(String kind, double threshold) {
      double[] p = path(kind);
      for (int i = 0; i < p.length; i++) {
        if (p[i] > threshold) return kind.equals(BASELINE) ? i : pointEpochs.get(i);
      }
      return -1;
    }
  }

  /**
   * The threshold from n clean calibration statistics for false-alarm rate ≤ alpha on a new clean run exchangeable
   * with them: their k-th smallest, k = ⌈(1 − α)(n + 1)⌉ (a new run exceeds it with probability ≤ (n + 1 − k)/(n + 1));
   * +∞ (never alarm) when k &gt; n, i.e. fewer than 1/α − 1 calibration runs.
   */
  static double threshold(double[] calibrationStats, double alpha) {
    double[] s = calibrationStats.clone();
    Arrays.sort(s);
    int k = (int) Math.ceil((1 - alpha) * (s.length + 1) - 1e-9);
    return k > s.length ? Double.POSITIVE_INFINITY : s[Math.max(0, k - 1)];
  }

  /** Alarm rate of one detector at one noise level (evaluation runs), with its binomial standard error and delays. */
  record Rate(String detector, double noise, int runs, int alarms, double medianAlarmEpoch, double medianDelay, int withOnset) {
    double rate() { return (double) alarms / runs; }

    double se() { return Math.sqrt(rate() * (1 - rate()) / runs); }
  }

  /** Detector kinds: the monitor's CUSUM, the trace rise on the same stream, the validation-loss rule. */
  static final String CUSUM = "cusum";
  static final String RISE = "trace rise";
  static final String BASELINE = "validation loss";
  static final List<String> KINDS = List.of(CUSUM, RISE, BASELINE);

  /**
   * A detector: a kind and where its threshold comes from: {@code per data set} (the calibration runs of the run's
   * data set), {@code pooled} (all calibration runs) or {@code shipped} (the CUSUM's cusum-threshold.properties).
   */
  record Detector(String kind, String scope) {
    String name() { return kind + " (" + scope + ")"; }
  }

  static final String PER_DATASET = "per data set";
  static final String POOLED = "pooled";
  static final String SHIPPED = "shipped h";
  static final List<Detector> DETECTORS = List.of(new Detector(CUSUM, PER_DATASET), new Detector(CUSUM, POOLED),
      new Detector(CUSUM, SHIPPED), new Detector(RISE, PER_DATASET), new Detector(RISE, POOLED),
      new Detector(BASELINE, PER_DATASET), new Detector(BASELINE, POOLED));

  /** The analysis of a finished grid: thresholds (detector → data set → value), detections, rates, AUROCs per kind. */
  record Analysis(List<RunData> runs, List<Detection> detections, Map<Detector, Map<String, Double>> thresholds,
                  List<Rate> rates, Map<String, Double> auc) {
    static Analysis of(Config c, List<RunData> runs) {
      List<Detection> det = runs.stream().map(r -> Detection.of(r, c.consecutive())).toList();
      Map<Detector, Map<String, Double>> thresholds = new LinkedHashMap<>();
      for (Detector d : DETECTORS) {
        Map<String, Double> byDataset = new LinkedHashMap<>();
        for (String ds : c.datasets()) {
          if (d.scope().equals(SHIPPED)) {
            byDataset.put(ds, CusumThreshold.calibrated().settings().h());
            continue;
          }
          List<Double> cal = new ArrayList<>();
          for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i).run();
            if (r.role().equals(CALIBRATION) && (d.scope().equals(POOLED) || r.dataset().equals(ds))) cal.add(det.get(i).statistic(d.kind()));
          }
          byDataset.put(ds, threshold(cal.stream().mapToDouble(Double::doubleValue).toArray(), c.alpha()));
        }
        thresholds.put(d, byDataset);
      }
      List<Rate> rates = new ArrayList<>();
      for (Detector d : DETECTORS) {
        for (double p : c.noises()) {
          int n = 0;
          int alarms = 0;
          List<Double> at = new ArrayList<>();
          List<Double> delays = new ArrayList<>();
          for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i).run();
            if (!r.role().equals(EVALUATION) || r.noise() != p) continue;
            n++;
            int e = det.get(i).alarm(d.kind(), thresholds.get(d).get(r.dataset()));
            if (e < 0) continue;
            alarms++;
            at.add((double) e);
            if (det.get(i).onsetEpoch() >= 0) delays.add((double) (e - det.get(i).onsetEpoch()));
          }
          rates.add(new Rate(d.name(), p, n, alarms, median(at), median(delays), delays.size()));
        }
      }
      Map<String, Double> auc = new LinkedHashMap<>();
      for (String kind : KINDS) {
        List<Double> clean = new ArrayList<>();
        List<Double> noisy = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
          Run r = runs.get(i).run();
          if (r.role().equals(EVALUATION)) (r.noise() == 0 ? clean : noisy).add(det.get(i).statistic(kind));
        }
        auc.put(kind, auc(clean, noisy));
      }
      return new Analysis(runs, det, thresholds, rates, auc);
    }

    /** P(noisy statistic > clean statistic) + P(tie)/2 over all pairs (the area under the ROC curve). */
    static double auc(List<Double> clean, List<Double> noisy) {
      if (clean.isEmpty() || noisy.isEmpty()) return Double.NaN;
      double s = 0;
      for (double a : noisy) for (double b : clean) s += a > b ? 1 : a == b ? 0.5 : 0;
      return s / (clean.size() * (double) noisy.size());
    }

    static double median(List<Double> v) {
      if (v.isEmpty()) return Double.NaN;
      double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      int n = a.length;
      return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    void write(Config c) throws IOException {
      StringBuilder d = new StringBuilder("id,dataset,arch,noise,seed,role,epochs,onset_epoch");
      for (String k : KINDS) d.append(',').append(k.replace(' ', '_')).append("_statistic");
      for (Detector x : DETECTORS) d.append(",alarm_epoch[").append(x.name()).append(']');
      d.append('\n');
      for (int i = 0; i < runs.size(); i++) {
        Run r = runs.get(i).run();
        Detection x = detections.get(i);
        d.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%s,%d,%d", r.id(), r.dataset(), r.arch(), num(r.noise()), r.seed(),
            r.role(), runs.get(i).epochs(), x.onsetEpoch()));
        for (String k : KINDS) d.append(String.format(Locale.ROOT, ",%.17g", x.statistic(k)));
        for (Detector t : DETECTORS) d.append(',').append(x.alarm(t.kind(), thresholds.get(t).get(r.dataset())));
        d.append('\n');
      }
      AtomicFiles.writeString(c.out().resolve(DETECTIONS), d.toString());
      StringBuilder th = new StringBuilder("detector,dataset,threshold\n");
      thresholds.forEach((t, m) -> m.forEach((ds, v) -> th.append(t.name()).append(',').append(ds).append(',')
          .append(String.format(Locale.ROOT, "%.17g", v)).append('\n')));
      AtomicFiles.writeString(c.out().resolve(THRESHOLDS), th.toString());
      StringBuilder s = new StringBuilder("detector,noise,runs,alarms,rate,se,median_alarm_epoch,median_delay,runs_with_onset\n");
      for (Rate r : rates) {
        s.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.17g,%.17g,%s,%s,%d%n", r.detector(), num(r.noise()), r.runs(), r.alarms(),
            r.rate(), r.se(), num(r.medianAlarmEpoch()), num(r.medianDelay()), r.withOnset()));
      }
      AtomicFiles.writeString(c.out().resolve(SUMMARY), s.toString());
      AtomicFiles.writeString(c.out().resolve("report.md"), markdown(c));
    }

    String markdown(Config c) {
      StringBuilder md = new StringBuilder("# Memorisation experiment\n\n");
      long cal = runs.stream().filter(r -> r.run().role().equals(CALIBRATION)).count();
      md.append(String.format(Locale.ROOT, "Grid: data sets %s; architectures %s (two hidden layers); label noise %s; "
          + "%d evaluation seeds per cell, %d calibration seeds (clean, %d runs); %d steps, monitor every ⌈steps/%d⌉ steps "
          + "with %d probes; batch %d, SGD lr %s momentum 0.9.%n%n", c.datasets(), c.archs(), c.noises(), c.evalSeeds(),
          c.calibrationSeeds(), cal, c.steps(), c.points(), c.probes(), c.batch(), num(c.lr())));
      md.append(String.format(Locale.ROOT, "Thresholds from the clean calibration runs (held out of the evaluation) at α = %s, "
          + "per data set and pooled; the shipped CUSUM h from cusum-threshold.properties. Trace rise in log units (%d-point "
          + "mean, %d points in a row); validation-loss margin relative (%d epochs in a row).%n%n| detector |",
          num(c.alpha()), RISE_WINDOW, RISE_CONSECUTIVE, c.consecutive()));
      for (String ds : c.datasets()) md.append(' ').append(ds).append(" |");
      md.append("\n|---|");
      for (int i = 0; i < c.datasets().size(); i++) md.append("---|");
      md.append('\n');
      thresholds.forEach((t, m) -> {
        md.append("| ").append(t.name()).append(" |");
        m.values().forEach(v -> md.append(String.format(Locale.ROOT, " %.4g |", v)));
        md.append('\n');
      });
      md.append('\n');
      md.append("| detector | noise | runs | alarms | rate ± s.e. | median alarm epoch | median delay after onset (runs) |\n");
      md.append("|---|---|---|---|---|---|---|\n");
      for (Rate r : rates) {
        md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.3f ± %.3f | %s | %s (%d) |%n", r.detector(), num(r.noise()),
            r.runs(), r.alarms(), r.rate(), r.se(), num(r.medianAlarmEpoch()), num(r.medianDelay()), r.withOnset()));
      }
      md.append("\nThreshold-free separation of noisy from clean evaluation runs (AUROC of the run statistic, all data sets):");
      auc.forEach((k, v) -> md.append(String.format(Locale.ROOT, " %s %.3f;", k, v)));
      md.setLength(md.length() - 1);
      md.append(".\n\nAlarms / runs per data set and architecture (evaluation runs, thresholds per data set):\n\n"
          + "| data set | architecture | detector |");
      for (double p : c.noises()) md.append(" noise ").append(num(p)).append(" |");
      md.append("\n|---|---|---|");
      for (int i = 0; i < c.noises().size(); i++) md.append("---|");
      md.append('\n');
      for (String ds : c.datasets()) {
        for (String arch : c.archs()) {
          for (String detector : KINDS) {
            double th = thresholds.get(new Detector(detector, PER_DATASET)).get(ds);
            md.append("| ").append(ds).append(" | ").append(arch).append(" | ").append(detector).append(" |");
            for (double p : c.noises()) {
              int n = 0;
              int a = 0;
              for (int i = 0; i < runs.size(); i++) {
                Run r = runs.get(i).run();
                if (!r.role().equals(EVALUATION) || r.noise() != p || !r.dataset().equals(ds) || !r.arch().equals(arch)) continue;
                n++;
                if (detections.get(i).alarm(detector, th) >= 0) a++;
              }
              md.append(' ').append(a).append('/').append(n).append(" |");
            }
            md.append('\n');
          }
        }
      }
      return md.toString();
    }
  }

  /** Short decimal text of a double (no exponent, no trailing zeros); empty for NaN. */
  static String num(double v) {
    return Double.isNaN(v) ? "" : new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
  }
}
