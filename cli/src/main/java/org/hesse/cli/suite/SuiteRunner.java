package org.hesse.cli.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.hesse.data.Csv;
import org.hesse.data.Dataset;
import org.hesse.io.AtomicFiles;

/**
 * Runs a suite: expands it into runs (data set × capacity × label noise × seed), runs each as an {@code analyze} run
 * in its own directory {@code OUT/runs/ID}, several at a time, and resumes: a run whose {@value #MARKER} exists
 * (written atomically, last) is finished and kept; any other run directory is a run interrupted part-way and is
 * started again from scratch.
 *
 * <p>Each run directory holds the analyze run (config.json, spectra.json, checkpoints/, training.csv, ...), its data
 * ({@code data/train.csv} with the noisy labels, {@code data/test.csv}, {@code data/probe.csv}: the fixed probe
 * rows the spectra were computed on) and {@value #MARKER}: the suite's description of the run and its outcome.
 */
public final class SuiteRunner {
  /** The completion marker of a run. */
  public static final String MARKER = "run.json";
  public static final String SUITE_FILE = "suite.json";
  public static final String RUNS = "runs";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One planned run. */
  public record Run(String id, SuiteSpec.DatasetRef dataset, String capacity, double ratio, double noise, long seed) {}

  /** What an analyze run ended with: exit code 0 (success), 2 (bad input), 3 (numerical failure) or 1. */
  public record Outcome(int exitCode, String message) {}

  /** Runs {@code analyze} with these arguments, its output to {@code log}. */
  public interface Analyzer {
    Outcome analyze(List<String> args, Path log);
  }

  /** Probe rows analyze will use: (training rows, probe size, seed) → sorted row indices. */
  public interface ProbeRows {
    int[] rows(int nTrain, int probeSize, long seed);
  }

  /** Told about progress. */
  public interface Listener {
    void start(int total, int alreadyDone);

    void finished(Run run, Outcome outcome, double seconds);
  }

  private final SuiteSpec spec;
  private final Path out;
  private final Analyzer analyzer;
  private final ProbeRows probeRows;
  private final Map<String, SuiteData.Source> userData = new HashMap<>();

  /**
   * Checks the suite completely before anything is written: catalog names known, user files readable as data
   * with at least two classes (classification), and an {@code out} that is new, empty or this suite's.
   */
  public SuiteRunner(SuiteSpec spec, Path out, Analyzer analyzer, ProbeRows probeRows) throws IOException {
    this.spec = spec;
    this.out = out;
    this.analyzer = analyzer;
    this.probeRows = probeRows;
    for (SuiteSpec.DatasetRef r : datasets()) {
      if (r.isFile()) {
        SuiteData.Source d = SuiteData.loadFile(r.file(), r.target(), r.testFile());
        checkUsable(d.all(), "data set '" + r.name() + "' (" + r.file() + ")");
        userData.put(r.name(), d);
      } else if (!SuiteData.catalog().contains(r.name())) {
        SuiteData.load(r.name()); // refuses the unknown name with the catalog's list
      }
    }
    Path sf = out.resolve(SUITE_FILE);
    if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out: " + out + " is a file; expected a directory");
    if (Files.isRegularFile(sf)) {
      JsonNode saved = JSON.readTree(sf.toFile());
      // compared as parsed text, so that number types (int vs long) do not matter
      if (!saved.equals(JSON.readTree(JSON.writeValueAsString(spec.toJson())))) {
        throw new IllegalArgumentException("--out: " + out + " holds another suite (its suite.json differs); resume with the same "
            + "suite file, or choose another directory");
      }
    } else if (Files.isDirectory(out)) {
      try (Stream<Path> s = Files.list(out)) {
        if (s.findAny().isPresent()) throw new IllegalArgumentException("--out: " + out + " is not empty and holds no suite.json; choose another directory");
      }
    }
  }

  static void checkUsable(Dataset d, String what) {
    if (d.isClassification() && d.numClasses() < 2) {
      throw new IllegalArgumentException(what + ": the target holds " + d.numClasses() + " class " + d.classNames()
          + "; expected at least 2 classes");
    }
    if (d.size() < 10) throw new IllegalArgumentException(what + ": " + d.size() + " rows; expected at least 10 for a train/test split");
  }

  /** The suite's data sets, "catalog" expanded to the catalog's names (a name listed explicitly as well is kept once). */
  public List<SuiteSpec.DatasetRef> datasets() {
    return datasets(spec);
  }

  /** The data sets of {@code spec}, as {@link #datasets()}, without reading any. */
  public static List<SuiteSpec.DatasetRef> datasets(SuiteSpec spec) {
    List<SuiteSpec.DatasetRef> out = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (SuiteSpec.DatasetRef r : spec.datasets()) {
      if (!r.isFile() && SuiteSpec.CATALOG.equals(r.name())) {
        for (String n : SuiteData.catalog()) {
          if (seen.contains(n)) continue;
          seen.add(n);
          out.add(new SuiteSpec.DatasetRef(n, null, null, null));
        }
      } else if (!seen.contains(r.name())) {
        seen.add(r.name());
        out.add(r);
      }
    }
    return out;
  }

  /** Every run of the suite, data set by data set. Regression runs have no label noise. */
  public List<Run> plan() throws IOException {
    List<Run> runs = new ArrayList<>();
    for (SuiteSpec.DatasetRef d : datasets()) {
      boolean classification = task(d) == Dataset.Task.CLASSIFICATION;
      for (long seed : spec.seeds()) {
        for (Map.Entry<String, Double> c : spec.capacities().entrySet()) {
          List<Double> noises = classification ? spec.labelNoise() : List.of(0.0);
          for (double noise : noises) {
            String id = String.format(Locale.ROOT, "%s-%s-noise%d-seed%d", d.name(), c.getKey(), Math.round(100 * noise), seed);
            runs.add(new Run(id, d, c.getKey(), c.getValue(), noise, seed));
          }
        }
      }
    }
    return runs;
  }

  private Dataset.Task task(SuiteSpec.DatasetRef d) throws IOException {
    if (d.isFile()) return userData.get(d.name()).all().task();
    return SuiteData.task(d.name());
  }

  /** Runs every unfinished run on {@code jobs} threads; returns the number of runs that did not succeed. */
  public int run(int jobs, Listener listener) throws IOException, InterruptedException {
    List<Run> plan = plan();
    Files.createDirectories(out.resolve(RUNS));
    AtomicFiles.writeString(out.resolve(SUITE_FILE), JSON.writeValueAsString(spec.toJson()) + "\n");
    List<Run> todo = new ArrayList<>();
    for (Run r : plan) if (!Files.isRegularFile(runDir(r).resolve(MARKER))) todo.add(r);
    listener.start(plan.size(), plan.size() - todo.size());
    Map<String, Integer> remaining = new HashMap<>();
    for (Run r : todo) remaining.merge(r.dataset().name(), 1, Integer::sum);
    DataCache cache = new DataCache(remaining);
    ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
      Thread t = new Thread(r, "suite-run");
      t.setDaemon(true);
      return t;
    });
    int failed = 0;
    try {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (Run r : todo) {
        futures.add(pool.submit(() -> {
          long t0 = System.nanoTime();
          Outcome o;
          try {
            o = execute(r, cache);
          } catch (IOException | RuntimeException e) {
            // its data could not be had or split (e.g. a Debian package that cannot be downloaded): no marker, so a
            // later resume tries again; the other runs go on
            o = new Outcome(2, "data: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
          }
          listener.finished(r, o, (System.nanoTime() - t0) / 1e9);
          return o;
        }));
      }
      for (Future<Outcome> f : futures) {
        try {
          if (f.get().exitCode() != 0) failed++;
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof IOException io) throw io;
          if (c instanceof RuntimeException re) throw re;
          throw new IllegalStateException(c);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    for (Run r : plan) {
      if (!todo.contains(r) && Files.isRegularFile(runDir(r).resolve(MARKER))) {
        JsonNode m = JSON.readTree(runDir(r).resolve(MARKER).toFile());
        if (!"complete".equals(m.path("status").asText())) failed++;
      }
    }
    return failed;
  }

  public Path runDir(Run r) {
    return out.resolve(RUNS).resolve(r.id());
  }

  /** Loaded data sets, each dropped once its last run has its split. */
  private final class DataCache {
    private final Map<String, Integer> remaining;
    private final Map<String, SuiteData.Source> loaded = new HashMap<>();

    DataCache(Map<String, Integer> remaining) {
      this.remaining = remaining;
    }

    synchronized SuiteData.Source take(SuiteSpec.DatasetRef d) throws IOException {
      SuiteData.Source x = d.isFile() ? userData.get(d.name()) : loaded.get(d.name());
      if (x == null) {
        x = SuiteData.load(d.name());
        loaded.put(d.name(), x);
      }
      if (remaining.merge(d.name(), -1, Integer::sum) <= 0) loaded.remove(d.name());
      return x;
    }
  }

  /** One run: its data, analyze, its probe set, and last the marker. */
  private Outcome execute(Run r, DataCache cache) throws IOException {
    Path dir = runDir(r);
    if (Files.exists(dir)) deleteTree(dir); // interrupted part-way: start again
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    long t0 = System.nanoTime();
    SuiteSpec.RunSettings s = spec.run();
    SuiteData.Source src = cache.take(r.dataset());
    SuiteData.RunSplit split = SuiteData.split(src, s, r.noise(), r.seed());
    Dataset train = split.train();
    Path trainCsv = data.resolve("train.csv");
    Path testCsv = data.resolve("test.csv");
    Csv.write(trainCsv, train);
    Csv.write(testCsv, split.test());
    int outputs = train.isClassification() ? distinct(train.labels()) : train.numTargets();
    int width = SuiteData.width(train.numFeatures(), outputs, s.hiddenLayers(), r.ratio(), train.size());
    long params = SuiteData.params(train.numFeatures(), outputs, s.hiddenLayers(), width);
    List<String> args = new ArrayList<>(List.of("--data", trainCsv.toString(), "--validation-data", testCsv.toString(),
        "--target", String.join(",", train.targetNames()), "--task", train.isClassification() ? "classification" : "regression",
        "--model", "mlp:" + String.join(",", java.util.Collections.nCopies(s.hiddenLayers(), String.valueOf(width))),
        "--act", s.activation(), "--epochs", String.valueOf(s.epochs()), "--every", String.valueOf(s.every()),
        "--top", String.valueOf(s.top()), "--slq-steps", String.valueOf(s.slqSteps()), "--slq-probes", String.valueOf(s.slqProbes()),
        "--probe-size", String.valueOf(s.probeSize()), "--lr", String.valueOf(s.lr()), "--batch", String.valueOf(s.batch()),
        "--seed", String.valueOf(r.seed()), "--out", dir.toString(), "--force"));
    Outcome o = analyzer.analyze(args, dir.resolve("analyze.log"));
    Csv.write(data.resolve("probe.csv"), train.rows(probeRows.rows(train.size(), s.probeSize(), r.seed())));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("dataset", r.dataset().name());
    m.put("source", r.dataset().isFile() ? r.dataset().file().toAbsolutePath().toString() : "catalog");
    m.put("task", train.isClassification() ? "classification" : "regression");
    m.put("capacity", r.capacity());
    m.put("target_params_per_sample", r.ratio());
    m.put("width", width);
    m.put("hidden_layers", s.hiddenLayers());
    m.put("params", params);
    m.put("params_per_sample", (double) params / train.size());
    m.put("label_noise", r.noise());
    m.put("noisy_rows", split.noisyRows());
    m.put("seed", r.seed());
    m.put("train_rows", train.size());
    m.put("test_rows", split.test().size());
    m.put("features", train.numFeatures());
    m.put("outputs", outputs);
    m.put("rows_in_dataset", src.all().size());
    m.put("status", o.exitCode() == 0 ? "complete" : "failed");
    m.put("exit_code", o.exitCode());
    m.put("message", o.message());
    m.put("seconds", (System.nanoTime() - t0) / 1e9);
    m.put("args", args);
    AtomicFiles.writeString(dir.resolve(MARKER), JSON.writeValueAsString(m) + "\n");
    return o;
  }

  static int distinct(int[] labels) {
    return (int) java.util.Arrays.stream(labels).distinct().count();
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
