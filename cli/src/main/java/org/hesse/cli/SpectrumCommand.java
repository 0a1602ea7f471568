package org.hesse.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.hesse.data.Dataset;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.io.AtomicFiles;
import org.hesse.io.ModelFiles;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.RuntimeInfo;
import org.hesse.runtime.ThreadPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hesse spectrum}: layer-wise spectra of one model on one data set, as JSON. */
@Command(name = "spectrum", mixinStandardHelpOptions = true,
    description = "Per-layer spectra (top/bottom eigenvalues, trace, full spectrum, density, metrics) of the Hessian, "
        + "GGN or back-matching local Hessian of a model on a data set; values are for the mean loss over all rows.")
public final class SpectrumCommand implements Callable<Integer> {
  /** Rows per curvature batch when the result does not depend on it (throughput only). */
  static final int DEFAULT_BATCH = 256;

  @Spec CommandSpec spec;

  @Option(names = "--run", description = "A run directory of train/analyze: its model.json, model.safetensors, "
      + "standardizer.json (features and regression targets) and, unless --data/--dataset is given, the data of its config.json.")
  Path run;

  @Option(names = "--model", description = "Model description (JSON); a standardizer.json next to it is applied (see --standardizer).")
  Path model;

  @Option(names = "--weights", description = "Weights (safetensors, state-dict names).")
  Path weights;

  @Option(names = "--data", description = "Data (CSV with a header, or LibSVM).")
  Path data;

  @Option(names = "--dataset", description = "A bundled data set or fashion-mnist / fashion-mnist-test instead of --data.")
  String dataset;

  @Option(names = "--standardizer", description = "Apply a run's standardisation (standardizer.json, written by train "
      + "and analyze); default: the one next to the model, if any; 'none' for the data as given.")
  String standardizer;

  @Option(names = "--limit", defaultValue = "0", description = "Use only the first N rows (0 = all).")
  int limit;

  @Option(names = "--target", description = "Target column(s) of the CSV, e.g. label or y0,y1.")
  String target;

  @Option(names = "--curvature", defaultValue = "hessian", description = "hessian, ggn or backmatching (default ${DEFAULT-VALUE}).")
  String curvature;

  @Option(names = "--layers", defaultValue = "all", description = "all, or layer indices such as 0,2 (default ${DEFAULT-VALUE}).")
  String layers;

  @Option(names = "--top", defaultValue = "5", description = "Largest eigenvalues per layer (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--bottom", defaultValue = "0", description = "Smallest eigenvalues per layer (default ${DEFAULT-VALUE}).")
  int bottom;

  @Option(names = "--full", description = "Every eigenvalue (dense LAPACK; refused when the block exceeds the memory budget).")
  boolean full;

  @Option(names = "--density", description = "Spectral density by stochastic Lanczos quadrature.")
  boolean density;

  @Option(names = "--slq-steps", defaultValue = "90", description = "Lanczos steps per probe (default ${DEFAULT-VALUE}).")
  int slqSteps;

  @Option(names = "--slq-probes", defaultValue = "10", description = "SLQ probes (default ${DEFAULT-VALUE}).")
  int slqProbes;

  @Option(names = "--vectors", description = "Write the top eigenvectors to <out>.vectors.safetensors (needs --out).")
  boolean vectors;

  @Option(names = "--batch", defaultValue = "0", description = "Rows per batch of the curvature passes. Default: "
      + "256, which does not change the result; for a network with batch norm in analysis mode, all rows in one batch "
      + "(the batch statistics of the whole data, as PyTorch computes a Hessian of one forward pass), since there the "
      + "partition changes the Hessian.")
  int batch;

  @Option(names = "--mode", defaultValue = "analysis", description = "analysis (batch statistics for batch norm, "
      + "dropout off; the batches are --batch contiguous rows) or eval (running statistics) (default ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--tol", defaultValue = "1e-8", description = "ARPACK relative tolerance (default ${DEFAULT-VALUE}).")
  double tol;

  @Option(names = "--ncv", description = "ARPACK's Lanczos vectors, more than --top and --bottom (default: min(P, "
      + "max(2k + 1, 20)); doubled when ARPACK stops early).")
  Integer ncv;

  @Option(names = "--max-iterations", description = "ARPACK's limit on implicit restarts (default: "
      + org.hesse.eigen.Arpack.DEFAULT_MAX_ITERATIONS + ").")
  Integer maxIterations;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of ARPACK's start vector and the probes (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", description = "Write the JSON report here (atomically) instead of stdout.")
  Path out;

  @Option(names = "--spark", paramLabel = "MASTER", description = "Run on Spark: hands the options to $SPARK_HOME/bin/"
      + "spark-submit --master MASTER --class " + SparkSubmit.MAIN_CLASS + " hesse-spark.jar and returns its exit code "
      + "(--model, --weights, --data as Spark reads them; not distributed: --run, --dataset, --standardizer, --limit, "
      + "--full, --vectors, --curvature backmatching).")
  String spark;

  @Option(names = "--spark-jar", description = "With --spark: hesse-spark.jar (default: -D" + SparkSubmit.JAR_PROPERTY
      + ", else $" + SparkSubmit.JAR_ENV + ", else spark/target/hesse-spark.jar of this checkout).")
  Path sparkJar;

  @Option(names = "--partitions", description = "With --spark: repartition the rows into N partitions (default: as read).")
  Integer partitions;

  @Override
  public Integer call() throws Exception {
    if (spark != null) {
      if (ncv != null || maxIterations != null) {
        throw new IllegalArgumentException((ncv != null ? "--ncv" : "--max-iterations") + ": not available with --spark (its spectra use ARPACK's defaults)");
      }
      java.util.List<String> cmd = SparkSubmit.command(spec.commandLine().getParseResult(), spark, sparkJar);
      Path runDir = model.toAbsolutePath().getParent(); // its standardizer.json SparkSpectrum applies itself, as here
      com.fasterxml.jackson.databind.JsonNode config = runDir == null ? null : RunDir.config(runDir);
      if (config != null && config.has(RunDir.CLASSES)) {
        spec.commandLine().getErr().println("hesse: warning: --spark: the class mapping of " + runDir.resolve(RunDir.CONFIG)
            + " is not applied (SparkSpectrum numbers the labels of the data it reads)");
      }
      spec.commandLine().getErr().flush();
      return SparkSubmit.run(cmd);
    }
    if (partitions != null) throw new IllegalArgumentException("--partitions: only with --spark (the rows' Spark partitions)");
    if (vectors && out == null) throw new IllegalArgumentException("--vectors needs --out (the vectors go next to the report)");
    if (vectors && "backmatching".equals(curvature)) {
      throw new IllegalArgumentException("--vectors is not available with --curvature backmatching (its spectrum comes from the structure eig(C))");
    }
    if (vectors && top < 1) throw new IllegalArgumentException("--vectors needs --top K >= 1 (the top-K eigenvectors are written)");
    if (slqSteps < 1) throw new IllegalArgumentException("--slq-steps: expected >= 1, got " + slqSteps);
    if (slqProbes < 1) throw new IllegalArgumentException("--slq-probes: expected >= 1, got " + slqProbes);
    if (!(tol >= 0)) throw new IllegalArgumentException("--tol: expected >= 0 (0 = machine precision), got " + tol);
    if (!SpectrumEngine.CURVATURES.contains(curvature)) {
      throw new IllegalArgumentException("--curvature: unknown curvature '" + curvature + "', expected one of " + SpectrumEngine.CURVATURES);
    }
    SpectrumEngine.Options o = new SpectrumEngine.Options();
    o.curvature = curvature;
    o.top = top;
    o.bottom = bottom;
    o.full = full;
    o.density = density;
    o.vectors = vectors;
    o.slqSteps = slqSteps;
    o.slqProbes = slqProbes;
    o.tol = tol;
    o.seed = seed;
    if (ncv != null) o.ncv = ncv;
    if (maxIterations != null) o.maxIterations = maxIterations;
    o.toLibrary(); // checks --ncv and --max-iterations (the rule is SpectraOptions') before any input is read
    long t0 = System.nanoTime();
    PrintWriter err = spec.commandLine().getErr();
    Inputs in = inputs();
    refuseOutOverAnInput(in);
    Network net = CliData.network(() -> ModelFiles.readNetwork(in.model), run != null ? "--run" : "--model", in.model);
    double[] theta = ModelFiles.readParameters(net, in.weights);
    double[] buffers = ModelFiles.readBuffers(net, in.weights);
    Mode m;
    if ("analysis".equals(mode)) m = Mode.ANALYSIS;
    else if ("eval".equals(mode)) m = Mode.EVAL;
    else throw new IllegalArgumentException("--mode: expected analysis or eval, got '" + mode + "'");
    Dataset d = CliData.load(in.dataset, in.data, in.target, CliData.taskOf(net.loss().name()), in.limit);
    if (d.isClassification() && in.config != null) d = runClasses(d, in);
    CliData.checkFits(d, net, CliData.given(in.dataset, in.data), String.valueOf(in.model));
    if (in.config != null) {
      for (String w : Mismatch.ofData(in.config, in.dataset != null ? in.dataset : String.valueOf(in.data), d)) {
        in.notes.add("hesse: warning: " + w);
      }
    }
    String targetsScale = "as given";
    if (in.pre != null) {
      if (in.pre.features() != null) {
        if (in.pre.features().numFeatures() != d.numFeatures()) {
          throw new IllegalArgumentException("--standardizer: " + in.standardizerFile + " has " + in.pre.features().numFeatures()
              + " feature scales but " + CliData.given(in.dataset, in.data) + " has " + d.numFeatures() + " features");
        }
        for (String w : Mismatch.ofFeatures(in.pre.features(), d, in.standardizerFile)) in.notes.add("hesse: warning: " + w);
        d = in.pre.features().apply(d);
      }
    }
    double[] y = CliData.targets(d, net);
    if (in.pre != null && in.pre.targets() != null && !d.isClassification()) {
      if (in.pre.targets().numFeatures() != net.outputSize()) {
        throw new IllegalArgumentException("--standardizer: " + in.standardizerFile + " has " + in.pre.targets().numFeatures()
            + " target scales but the model has " + net.outputSize() + " outputs");
      }
      y = y.clone();
      in.pre.targets().applyInPlace(y);
      targetsScale = "standardised (target_mean, target_scale of " + in.standardizerFile + ")";
    }
    List<Integer> selected = selectLayers(net, layers);
    // the notes and warnings only once every input is accepted: a bad input gets its one error line alone
    for (String note : in.notes) err.println(note);
    err.flush();
    if (batch < 0) throw new IllegalArgumentException("--batch: expected >= 1 rows (or 0 for the default), got " + batch);
    int rows = batch > 0 ? batch : net.batchCoupled() && m != Mode.EVAL ? d.size() : DEFAULT_BATCH;
    Curvature c = Curvature.of(net, theta, buffers, m, d.x(), y, rows);
    NumericalFailure.requireFinite("the loss of the model on the data", c.loss());
    SpectrumEngine engine = new SpectrumEngine(c, o);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("loss", Json.num(c.loss()));
    if (!d.isClassification()) report.put("targets", targetsScale);
    report.put("features", in.pre == null || in.pre.features() == null ? "as given" : "standardised (" + in.standardizerFile + ")");
    report.put("samples", c.samples());
    report.put("curvature", curvature);
    report.put("mode", mode);
    report.put("batch", c.batchSize());
    List<Object> layerReports = new ArrayList<>();
    Map<String, Tensor> vecs = new LinkedHashMap<>();
    try (Progress bar = Progress.start("spectrum", selected.size())) {
      engine.progress = bar;
      for (int l : selected) {
        layerReports.add(engine.layer(l));
        bar.step();
        if (vectors && engine.lastVectors != null && engine.lastVectors.length > 0) {
          int k = engine.lastVectors.length;
          int p = engine.lastVectors[0].length;
          double[] flat = new double[k * p];
          for (int j = 0; j < k; j++) System.arraycopy(engine.lastVectors[j], 0, flat, j * p, p);
          String name = l + ".top_eigenvectors";
          vecs.put(name, Tensor.f64(name, new long[] {k, p}, flat));
        }
      }
    }
    report.put("layers", layerReports);
    report.put("provenance", provenance(o, System.nanoTime() - t0));
    String json = Json.write(report);
    if (out == null) {
      spec.commandLine().getOut().println(json);
    } else {
      if (vectors) Safetensors.write(vectorsPath(out), vecs.values());
      AtomicFiles.writeString(out, json + "\n");
    }
    return 0;
  }

  /** Where the model, weights, data and preprocessing come from: --run, or --model/--weights (and their directory). */
  static final class Inputs {
    Path model;
    Path weights;
    String dataset;
    Path data;
    String target;
    int limit;
    RunDir.Preprocessing pre;
    Path standardizerFile;
    /** The run's config.json (for the mismatch warnings and the class mapping), or null; and its path. */
    com.fasterxml.jackson.databind.JsonNode config;
    Path configFile;
    /** Lines for stderr (what was applied, warnings), printed once the inputs are accepted. */
    final List<String> notes = new ArrayList<>();
  }

  private Inputs inputs() throws java.io.IOException {
    Inputs in = new Inputs();
    Path dir;
    if (run != null) {
      if (model != null || weights != null) throw new IllegalArgumentException("give either --run DIR or --model and --weights, not both");
      if (!Files.isDirectory(run)) throw new IllegalArgumentException("--run: not a directory: " + run);
      in.model = run.resolve(RunDir.MODEL);
      in.weights = run.resolve(RunDir.WEIGHTS);
      if (!Files.isRegularFile(in.model) || !Files.isRegularFile(in.weights)) {
        throw new IllegalArgumentException("--run: " + run + " holds no finished run (" + RunDir.MODEL + " and "
            + RunDir.WEIGHTS + " expected)");
      }
      dir = run;
    } else {
      if (model == null || weights == null) {
        throw new IllegalArgumentException("no model: give --run DIR, or --model FILE and --weights FILE");
      }
      in.model = model;
      in.weights = weights;
      dir = model.toAbsolutePath().getParent();
    }
    in.config = run != null ? RunDir.requiredConfig(run, "--run") : dir == null ? null : RunDir.config(dir);
    in.configFile = dir == null ? null : dir.resolve(RunDir.CONFIG);
    in.dataset = dataset;
    in.data = data;
    in.target = target;
    in.limit = limit;
    if (run != null && dataset == null && data == null && !in.config.hasNonNull("dataset")) {
      throw new IllegalArgumentException("--run: " + run.resolve(RunDir.CONFIG) + " names no data set ('dataset'); give --data FILE or --dataset NAME");
    }
    if (run != null && dataset == null && data == null) {
      // the run's own data: its config's data set (or file) and row limit
      String name = in.config.get("dataset").asText();
      if (org.hesse.data.BundledDatasets.names().contains(name) || CliData.FASHION_TRAIN.equals(name) || CliData.FASHION_TEST.equals(name)) {
        in.dataset = name;
      } else if (!Files.isRegularFile(Path.of(name))) {
        throw new IllegalArgumentException("--run: " + run.resolve(RunDir.CONFIG) + ": 'dataset' is '" + name + "', neither a "
            + "bundled data set nor an existing file; expected one of " + org.hesse.data.BundledDatasets.names()
            + " or a data file (or give --data FILE / --dataset NAME)");
      } else {
        in.data = Path.of(name);
        if (target == null && in.config.hasNonNull("target")) in.target = in.config.get("target").asText();
      }
      if (limit == 0 && in.config.has("limit")) in.limit = in.config.get("limit").asInt();
      in.notes.add("hesse: data from " + run.resolve(RunDir.CONFIG) + ": " + name + (in.limit > 0 ? " (first " + in.limit + " rows)" : ""));
    }
    if ("none".equals(standardizer)) {
      if (dir != null && Files.isRegularFile(dir.resolve(RunDir.STANDARDIZER))) {
        in.notes.add("hesse: warning: the model was trained on standardised data (" + dir.resolve(RunDir.STANDARDIZER)
            + "); --standardizer none gives it the data as they are");
      }
      return in;
    }
    if (standardizer != null) {
      in.standardizerFile = Path.of(standardizer);
      in.pre = RunDir.readStandardizer(in.standardizerFile, "--standardizer");
    } else if (dir != null && Files.isRegularFile(dir.resolve(RunDir.STANDARDIZER))) {
      in.standardizerFile = dir.resolve(RunDir.STANDARDIZER);
      in.pre = RunDir.readStandardizer(in.standardizerFile, run != null ? "--run" : "--model");
      in.notes.add("hesse: applying the run's preprocessing " + in.standardizerFile + " (--standardizer none to skip)");
    } else if (in.config != null && (in.config.path("standardize").asBoolean(false) || in.config.path("standardize_targets").asBoolean(false))) {
      // the run standardised its features: without the file its numbers would be silently wrong
      throw new IllegalArgumentException((run != null ? "--run" : "--model") + ": " + in.configFile + " says the features (or "
          + "targets) were standardised, but " + dir.resolve(RunDir.STANDARDIZER) + " is missing; expected it next to the model (or give "
          + "--standardizer FILE, or --standardizer none for the data as they are)");
    }
    return in;
  }

  /**
   * The data's labels as the training run's classes (config.json's "classes"), so that a file lacking a class keeps
   * the training indices: a label the run never saw is refused, classes the data lack are warned about. When the
   * run's labels are names and the data's are all numbers, those are class indices (Csv.write writes indices).
   */
  static Dataset runClasses(Dataset d, Inputs in) {
    List<String> names = RunDir.classes(in.config, in.configFile);
    if (names == null) return d;
    String given = CliData.given(in.dataset, in.data);
    List<String> byName = names;
    if (!allNumbers(names) && allNumbers(d.classNames())) {
      byName = new ArrayList<>();
      for (int c = 0; c < names.size(); c++) byName.add(Integer.toString(c));
      in.notes.add("hesse: the numeric labels of " + given + " are read as indices of the run's classes "
          + org.hesse.io.InputException.excerpt(names.toString(), 200));
    }
    Dataset mapped = d.withClassNames(byName, given + " (with the classes of " + in.configFile + ")");
    int[] counts = mapped.classCounts();
    List<String> absent = new ArrayList<>();
    for (int c = 0; c < counts.length; c++) if (counts[c] == 0) absent.add(names.get(c));
    if (!absent.isEmpty()) {
      in.notes.add("hesse: warning: " + given + " has no rows of class" + (absent.size() > 1 ? "es " : " ")
          + org.hesse.io.InputException.excerpt(String.join(", ", absent), 200) + " of the run's " + names.size()
          + " classes (" + in.configFile + ")");
    }
    return mapped;
  }

  private static boolean allNumbers(List<String> labels) {
    for (String s : labels) {
      try {
        if (!Double.isFinite(Double.parseDouble(s))) return false;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return true;
  }

  static Path vectorsPath(Path report) {
    String name = report.getFileName().toString();
    String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    return report.resolveSibling(stem + ".vectors.safetensors");
  }

  /** The report must not replace a file it was computed from (the atomic write would destroy the input). */
  private void refuseOutOverAnInput(Inputs in) {
    if (out == null) return;
    Path o = out.toAbsolutePath().normalize();
    Path[] inputs = {in.model, in.weights, in.data, in.standardizerFile};
    String[] names = {"--model", "--weights", "--data", "--standardizer"};
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i] != null && o.equals(inputs[i].toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("--out " + out + ": is the " + names[i] + " file; expected a new path for the report");
      }
    }
  }

  static List<Integer> selectLayers(Network net, String spec) {
    if (spec == null || "all".equals(spec.trim())) return net.parametrisedLayers();
    if (spec.isBlank()) throw new IllegalArgumentException("--layers: empty; expected all, or layer indices such as 0,2");
    List<Integer> out = new ArrayList<>();
    for (String s : spec.split(",")) {
      int l;
      try {
        l = net.layerIndex(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--layers: " + e.getMessage(), e);
      }
      if (!out.contains(l)) out.add(l);
    }
    return out;
  }

  static Map<String, Object> provenance(SpectrumEngine.Options o, long nanos) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("hesse_version", String.valueOf(HesseCli.class.getPackage().getImplementationVersion()));
    p.put("runtime", RuntimeInfo.collect().toMap());
    p.put("threads", ThreadPolicy.current().describe());
    p.put("memory_budget_bytes", MemoryBudget.current().bytes());
    p.put("seed", o.seed);
    p.put("arpack_tol", o.tol);
    p.put("arpack_ncv", o.ncv);
    p.put("arpack_max_iterations", o.maxIterations);
    p.put("dense_max_dim", org.hesse.hvp.spectra.LayerSpectraEngine.denseMaxDim());
    p.put("hutchpp_budget", o.hutchBudget);
    p.put("slq_steps", o.slqSteps);
    p.put("slq_probes", o.slqProbes);
    p.put("seconds", nanos / 1e9);
    return p;
  }
}
