package org.hesse.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hesse.data.Dataset;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.curvature.Float32Curvature;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.precision.Precision;
import picocli.CommandLine.Option;

/**
 * The model, weights, data, preprocessing and forward mode of a curvature command ({@code spectrum},
 * {@code interlayer}): the options (a picocli mixin) and their loading into a {@link Curvature}. Loading checks every
 * input before anything is printed ({@link Loaded#notes} are for the caller to print once its own options are
 * accepted too).
 */
public final class ModelInputs {
  @Option(names = "--run", description = "A run directory of train/analyze: its model.json, model.safetensors, "
      + "standardizer.json (features and regression targets) and, unless --data/--dataset is given, the data of its config.json.")
  Path run;

  @Option(names = "--model", description = "Model description (JSON), or an ONNX file (with --loss); a standardizer.json next to it is applied (see --standardizer).")
  Path model;

  @Option(names = "--loss", description = "With an ONNX --model: cross_entropy or mse (ONNX holds no loss).")
  String loss;

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

  @Option(names = "--batch", defaultValue = "0", description = "Rows per batch of the curvature passes. Default: "
      + "256, which does not change the result; for a network with batch norm in analysis mode, all rows in one batch "
      + "(the batch statistics of the whole data, as PyTorch computes a Hessian of one forward pass), since there the "
      + "partition changes the Hessian.")
  int batch;

  @Option(names = "--mode", defaultValue = "analysis", description = "analysis (batch statistics for batch norm, "
      + "dropout off; the batches are --batch contiguous rows) or eval (running statistics) (default ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--curvature-cache", defaultValue = "auto", description = "auto (keep every batch's forward data "
      + "when they fit the memory budget, else keep the first batches that fit and recompute the others), all (keep them; refused beyond the budget) or none "
      + "(recompute each batch's forward in every product: memory of one batch instead of all N samples, about 1.5× "
      + "the time per product; the same numbers) (default ${DEFAULT-VALUE}).")
  String curvatureCache;

  /** What {@link #load} read: the network at its weights, the data as the loss wants them, and the notes. */
  public static final class Loaded {
    public Network net;
    public double[] theta;
    public double[] buffers;
    public Mode mode;
    public Dataset data;
    public double[] y;
    public String targetsScale;
    public Inputs in;
    /** The dtypes the weights file stores the parameters in (null for an ONNX model), for the default precision. */
    public java.util.Set<String> weightDtypes;

    /** Lines for stderr (what was applied, warnings). */
    public List<String> notes() {
      return in.notes;
    }
  }

  /** Reads and checks everything; {@code out} (may be null) must not be one of the inputs. */
  Loaded load(Path out) throws java.io.IOException {
    if (batch < 0) throw new IllegalArgumentException("--batch: expected >= 1 rows (or 0 for the default), got " + batch);
    Curvature.CacheMode.parse(curvatureCache, "--curvature-cache");
    Inputs in = inputs();
    refuseOutOverAnInput(in, out);
    ModelInput.Loaded read = ModelInput.load(in.model, in.weights, loss, run != null ? "--run" : "--model");
    Network net = read.net();
    in.notes.addAll(read.notes());
    double[] theta = read.theta();
    double[] buffers = read.buffers();
    Mode m;
    if ("analysis".equals(mode)) m = Mode.ANALYSIS;
    else if ("eval".equals(mode)) m = Mode.EVAL;
    else throw new IllegalArgumentException("--mode: expected analysis or eval, got '" + mode + "'");
    Dataset d = CliData.load(in.dataset, in.data, in.target, CliData.taskOf(net.loss().name()), in.limit);
    if (d.isClassification()) {
      // with the run's config its classes map the labels; without, numeric labels are the model's class indices
      d = in.config != null ? runClasses(d, in)
          : d.withNumericLabelsAsIndices(net.outputSize(), CliData.given(in.dataset, in.data));
    }
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
    Loaded l = new Loaded();
    l.net = net;
    l.theta = theta;
    l.buffers = buffers;
    l.mode = m;
    l.data = d;
    l.y = y;
    l.targetsScale = targetsScale;
    l.in = in;
    l.weightDtypes = read.weightDtypes();
    return l;
  }

  /** --batch, else all rows for batch norm in analysis mode (the partition changes the Hessian), else 256. */
  private int batchRows(Loaded l) {
    return batch > 0 ? batch : l.net.batchCoupled() && l.mode != Mode.EVAL ? l.data.size() : SpectrumCommand.DEFAULT_BATCH;
  }

  /**
   * The curvature of the loaded model on its data, in batches of --batch rows (default: 256, which does not change
   * the result; all rows for batch norm in analysis mode, where the partition changes the Hessian), caching what
   * --curvature-cache says.
   */
  Curvature curvature(Loaded l) {
    Curvature c = Curvature.of(l.net, l.theta, l.buffers, l.mode, l.data.x(), l.y, batchRows(l),
        Curvature.CacheMode.parse(curvatureCache, "--curvature-cache"));
    NumericalFailure.requireFinite("the loss of the model on the data", c.loss());
    return c;
  }

  /**
   * The precision of the curvature: {@code --precision} when given, else that of the weights file (every parameter
   * tensor stored as F32 → f32 where the float32 path runs the model and its cache fits the memory budget (it does
   * not stream: with {@code --curvature-cache none} or over the budget f64 streams instead), anything else f64; an
   * ONNX model → f64). Returns the precision and where it came from (for the report's provenance).
   */
  static Map.Entry<Precision, String> precision(String option, Loaded l, String cacheOption) {
    if (option != null) {
      try {
        return Map.entry(Precision.parse(option), "--precision");
      } catch (IllegalArgumentException e) {
        throw new org.hesse.io.InputException("--" + e.getMessage());
      }
    }
    java.util.Set<String> dtypes = l.weightDtypes;
    if (dtypes == null) return Map.entry(Precision.F64, "default (ONNX model)");
    String source = "weights dtype " + String.join("/", dtypes);
    if (!dtypes.equals(java.util.Set.of("F32"))) return Map.entry(Precision.F64, source);
    // by default a model the float32 path does not run stays in f64, said in the provenance; an explicit
    // --precision f32 is refused instead
    try {
      Float32Curvature.requireFloat32(l.net);
    } catch (org.hesse.io.InputException e) {
      return Map.entry(Precision.F64, source + "; " + e.getMessage().replace("; use --precision f64", ""));
    }
    // the float32 path caches every batch: where that would not fit (or streaming was asked for), f64 streams
    if ("none".equals(cacheOption)) return Map.entry(Precision.F64, source + "; --curvature-cache none (float32 does not stream)");
    int samples = l.data.size();
    if (Float32Curvature.cacheBytes(l.net, samples) > org.hesse.runtime.MemoryBudget.current().bytes()) {
      return Map.entry(Precision.F64, source + "; the float32 cache of " + samples + " samples exceeds the memory budget "
          + "(float32 does not stream)");
    }
    return Map.entry(Precision.F32, source);
  }

  /**
   * The float32 curvature of the loaded model (see {@link #curvature}); refused (one line) for a model the float32
   * path does not run.
   */
  Float32Curvature curvature32(Loaded l) {
    Float32Curvature c = Float32Curvature.of(l.net, l.theta, l.buffers, l.mode, l.data.x(), l.y, batchRows(l));
    NumericalFailure.requireFinite("the loss of the model on the data", c.loss());
    return c;
  }

  /** Where the model, weights, data and preprocessing come from: --run, or --model/--weights (and their directory). */
  public static final class Inputs {
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
      if (model == null || (weights == null && !ModelInput.isOnnx(model))) {
        throw new IllegalArgumentException("no model: give --run DIR, or --model FILE and --weights FILE (or --model FILE.onnx --loss LOSS)");
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

  /** The report must not replace a file it was computed from (the atomic write would destroy the input). */
  private static void refuseOutOverAnInput(Inputs in, Path out) {
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

}
