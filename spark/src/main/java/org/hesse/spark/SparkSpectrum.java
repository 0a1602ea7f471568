package org.hesse.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.data.Standardizer;
import org.hesse.data.StandardizerFile;
import org.hesse.hvp.spectra.LayerSpectraEngine;
import org.hesse.hvp.spectra.NonFiniteSpectrumException;
import org.hesse.hvp.spectra.SpectraJson;
import org.hesse.hvp.spectra.SpectraOptions;
import org.hesse.io.AtomicFiles;
import org.hesse.io.ModelFiles;
import org.hesse.io.ModelSpec;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hesse spectrum} on a Spark cluster: the spark-submit entry point
 * ({@code spark-submit --class org.hesse.spark.SparkSpectrum hesse-spark.jar --model ... --data ...}). The options
 * are those of {@code hesse spectrum} for the matrix-free path, and the JSON report has the same fields and numbers
 * (up to the summation order); its provenance adds a {@code spark} object. The data are read through Spark (any
 * path Spark reads: local, HDFS, S3); the model, weights and standardizer.json are read on the driver. As there,
 * a standardizer.json next to the model is applied (features, and regression targets when it holds
 * target_mean/target_scale), with a one-line notice on stderr; {@code --standardizer FILE} or {@code none}
 * choose otherwise. Not here: the CLI's warning when the data's statistics do not match the training data's.
 * Exit codes as the CLI's: 0, 2 bad input, 3 numerical failure (a non-finite loss, eigenvalue or trace), 1 internal.
 */
@Command(name = "hesse-spark spectrum", mixinStandardHelpOptions = true,
    description = "Per-layer spectra (top/bottom eigenvalues, trace, density, metrics) of the Hessian or GGN of a model "
        + "on a data set held by Spark; values are for the mean loss over all rows.")
public final class SparkSpectrum implements Callable<Integer> {
  static final int DEFAULT_BATCH = 256;
  static final int EXIT_BAD_INPUT = 2;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_NUMERICAL = 3;
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--spark", description = "Spark master URL (e.g. local[4], spark://host:7077); default: spark-submit's.")
  String master;

  @Option(names = "--partitions", defaultValue = "0", description = "Repartition the rows into N partitions, keeping their order (0 = as read).")
  int partitions;

  @Option(names = "--model", required = true, description = "Model description (JSON); a standardizer.json next to it is applied (see --standardizer).")
  Path model;

  @Option(names = "--weights", required = true, description = "Weights (safetensors, state-dict names).")
  Path weights;

  @Option(names = "--data", required = true, description = "Data: CSV with a header, LibSVM (.svm/.libsvm) or Parquet (.parquet); a file or directory Spark reads.")
  String data;

  @Option(names = "--standardizer", description = "Apply a run's standardisation (standardizer.json, written by train "
      + "and analyze); default: the one next to the model, if any; 'none' for the data as given.")
  String standardizer;

  @Option(names = "--target", description = "Target column(s) of a CSV or Parquet file, e.g. label or y0,y1.")
  String target;

  @Option(names = "--curvature", defaultValue = "hessian", description = "hessian or ggn (default ${DEFAULT-VALUE}).")
  String curvature;

  @Option(names = "--layers", defaultValue = "all", description = "all, or layer indices such as 0,2 (default ${DEFAULT-VALUE}).")
  String layers;

  @Option(names = "--top", defaultValue = "5", description = "Largest eigenvalues per layer (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--bottom", defaultValue = "0", description = "Smallest eigenvalues per layer (default ${DEFAULT-VALUE}).")
  int bottom;

  @Option(names = "--density", description = "Spectral density by stochastic Lanczos quadrature.")
  boolean density;

  @Option(names = "--slq-steps", defaultValue = "90", description = "Lanczos steps per probe (default ${DEFAULT-VALUE}).")
  int slqSteps;

  @Option(names = "--slq-probes", defaultValue = "10", description = "SLQ probes (default ${DEFAULT-VALUE}).")
  int slqProbes;

  @Option(names = "--batch", defaultValue = "0", description = "Rows per batch of the curvature passes inside a partition "
      + "(default 256; does not change the result).")
  int batch;

  @Option(names = "--curvature-cache", defaultValue = "auto", description = "auto, all or none, as hesse spectrum's, "
      + "for each partition's curvature on its executor (memory budget: the executor's) (default ${DEFAULT-VALUE}).")
  String curvatureCache;

  @Option(names = "--mode", defaultValue = "analysis", description = "analysis or eval (default ${DEFAULT-VALUE}); "
      + "batch norm with batch statistics (analysis) is refused: its Hessian is not a sum over partitions.")
  String mode;

  @Option(names = "--tol", defaultValue = "1e-8", description = "ARPACK relative tolerance (default ${DEFAULT-VALUE}).")
  double tol;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of ARPACK's start vector and the probes (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", description = "Write the JSON report here (atomically) instead of stdout.")
  Path out;

  private SparkSession session;
  private PrintWriter stdout;
  private PrintWriter stderr;
  private Path standardizerFile;

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(null, out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one command line and returns its exit code: 0, 2 for bad input (one line on err, nothing written), 3 for
   * a numerical failure (a non-finite loss, eigenvalue or trace: one line, nothing written), 1 for an internal one. With {@code session} null, a session is started from --spark or spark-submit's configuration and
   * stopped at the end; a given session is used and left running.
   */
  public static int run(SparkSession session, PrintWriter out, PrintWriter err, String... args) {
    SparkSpectrum cmd = new SparkSpectrum();
    cmd.session = session;
    cmd.stdout = out;
    cmd.stderr = err;
    CommandLine cl = new CommandLine(cmd);
    cl.setOut(out);
    cl.setErr(err);
    cl.getCommandSpec().exitCodeOnInvalidInput(EXIT_BAD_INPUT);
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("hesse: error: " + ex.getMessage() + " (see 'hesse-spark spectrum --help')");
      return EXIT_BAD_INPUT;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      // a task's exception reaches the driver wrapped in Spark's job failure: report the cause, on one line
      Throwable cause = rootCause(ex);
      int code = exitCode(cause);
      String msg = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage().lines().findFirst().orElse("");
      err.println("hesse: error: " + (code != EXIT_FAILURE ? msg
          : "internal failure: " + cause.getClass().getSimpleName() + ": " + msg + " (HESSE_DEBUG=1 shows the stack trace)"));
      if (System.getenv("HESSE_DEBUG") != null) ex.printStackTrace(err);
      return code;
    });
    return cl.execute(args);
  }

  /** The CLI's rule: bad input 2, numerical failure 3, anything else 1. */
  static int exitCode(Throwable t) {
    if (t instanceof NonFiniteSpectrumException) return EXIT_NUMERICAL;
    if (t instanceof IllegalArgumentException || t instanceof java.io.IOException || t instanceof java.io.UncheckedIOException) {
      return EXIT_BAD_INPUT;
    }
    return EXIT_FAILURE;
  }

  /** The first exception with an exit code other than 1 in the cause chain (a task's arrives wrapped), else the innermost cause. */
  static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (true) {
      if (exitCode(c) != EXIT_FAILURE) return c;
      if (c.getCause() == null || c.getCause() == c) return c;
      c = c.getCause();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (batch < 0) throw new IllegalArgumentException("--batch: expected >= 1 rows (or 0 for the default), got " + batch);
    if (partitions < 0) throw new IllegalArgumentException("--partitions: expected >= 1 (or 0 = as read), got " + partitions);
    CurvatureKind kind = switch (curvature) {
      case "hessian" -> CurvatureKind.HESSIAN;
      case "ggn" -> CurvatureKind.GGN;
      case "backmatching" -> CurvatureKind.BACK_MATCHING;
      default -> throw new IllegalArgumentException("--curvature: expected hessian or ggn, got '" + curvature + "'");
    };
    DistributedCurvature.requireDistributed(kind);  // before Spark starts
    SpectraOptions d = SpectraOptions.defaults();
    SpectraOptions o = new SpectraOptions(kind, top, bottom, false, density, false, slqSteps, slqProbes,
        d.densityPoints(), d.hutchBudget(), tol, seed);
    Mode m = switch (mode) {
      case "analysis" -> Mode.ANALYSIS;
      case "eval" -> Mode.EVAL;
      default -> throw new IllegalArgumentException("--mode: expected analysis or eval, got '" + mode + "'");
    };
    Curvature.CacheMode cache = Curvature.CacheMode.parse(curvatureCache, "--curvature-cache");
    long t0 = System.nanoTime();
    Network net = ModelFiles.network(ModelSpec.read(model));
    DistributedCurvature.requireRowSeparable(net, m);  // before Spark starts
    double[] theta = ModelFiles.readParameters(net, weights);
    double[] buffers = ModelFiles.readBuffers(net, weights);
    List<Integer> selected = selectLayers(net, layers);
    List<String> notes = new ArrayList<>();
    StandardizerFile pre = preprocessing(net, notes);
    List<String> targets = target == null || target.isBlank() ? null : Arrays.stream(target.split(",")).map(String::trim).toList();
    boolean own = session == null;
    SparkSession spark = own ? start(master) : session;
    try {
      JavaRDD<RowBatch> rows = SparkData.read(spark, data, targets, net);
      boolean regression = SparkData.taskOf(net) == org.hesse.data.Dataset.Task.REGRESSION;
      Standardizer fx = pre == null ? null : pre.features();
      Standardizer fy = pre == null || !regression ? null : pre.targets();
      if (fx != null || fy != null) rows = standardise(spark, rows, fx, fy);
      if (partitions > 0) rows = SparkData.repartitionInOrder(rows, partitions);  // in order: the trace's probes
      try (DistributedCurvature dc = DistributedCurvature.of(rows, net, theta, buffers, m,
          batch > 0 ? batch : DEFAULT_BATCH, cache)) {
        // the notices once the data are read and accepted: a bad input gets its one error line alone
        for (String note : notes) stderr.println(note);
        stderr.flush();
        if (!Double.isFinite(dc.loss())) {
          throw new NonFiniteSpectrumException("numerical failure: the loss of the model on the data is " + dc.loss() + " (not finite)");
        }
        LayerSpectraEngine engine = new LayerSpectraEngine(dc.spectraSource(), o);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("loss", SpectraJson.num(dc.loss()));
        if (regression) report.put("targets", fy == null ? "as given" : "standardised (target_mean, target_scale of " + standardizerFile + ")");
        report.put("features", fx == null ? "as given" : "standardised (" + standardizerFile + ")");
        report.put("samples", dc.samples());
        report.put("curvature", curvature);
        report.put("mode", mode);
        report.put("batch", dc.batchSize());
        List<Object> layerReports = new ArrayList<>();
        for (int l : selected) layerReports.add(SpectraJson.layer(engine.layer(l)));
        report.put("layers", layerReports);
        report.put("provenance", provenance(o, cache, dc, spark, System.nanoTime() - t0));
        String json = MAPPER.writeValueAsString(report);
        if (out == null) stdout.println(json);
        else AtomicFiles.writeString(out, json + "\n");
      }
    } finally {
      if (own) spark.stop();
    }
    return 0;
  }

  /**
   * The CLI's rule: --standardizer FILE, none, or by default the standardizer.json next to the model (with a notice);
   * null when nothing applies. Checks the widths against the model.
   */
  private StandardizerFile preprocessing(Network net, List<String> notes) throws java.io.IOException {
    Path dir = model.toAbsolutePath().getParent();
    Path beside = dir == null ? null : dir.resolve(StandardizerFile.NAME);
    StandardizerFile pre = null;
    if ("none".equals(standardizer)) {
      if (beside != null && Files.isRegularFile(beside)) {
        notes.add("hesse: warning: the model was trained on standardised data (" + beside
            + "); --standardizer none gives it the data as they are");
      }
    } else if (standardizer != null) {
      standardizerFile = Path.of(standardizer);
      pre = StandardizerFile.read(standardizerFile, "--standardizer");
    } else if (beside != null && Files.isRegularFile(beside)) {
      standardizerFile = beside;
      pre = StandardizerFile.read(beside, "--model");
      notes.add("hesse: applying the run's preprocessing " + beside + " (--standardizer none to skip)");
    }
    if (pre == null) return null;
    if (pre.features() != null && pre.features().numFeatures() != net.inputSize()) {
      throw new IllegalArgumentException("--standardizer: " + standardizerFile + " has " + pre.features().numFeatures()
          + " feature scales but the model expects " + net.inputSize() + " inputs");
    }
    if (pre.targets() != null && SparkData.taskOf(net) == org.hesse.data.Dataset.Task.REGRESSION
        && pre.targets().numFeatures() != net.outputSize()) {
      throw new IllegalArgumentException("--standardizer: " + standardizerFile + " has " + pre.targets().numFeatures()
          + " target scales but the model has " + net.outputSize() + " outputs");
    }
    return pre;
  }

  /** The rows with standardised features (fx) and targets (fy), either may be null; the arithmetic of Standardizer. */
  static JavaRDD<RowBatch> standardise(SparkSession spark, JavaRDD<RowBatch> rows, Standardizer fx, Standardizer fy) {
    // Standardizer is not Serializable: its numbers travel, each task rebuilds it
    double[][] v = {fx == null ? null : fx.mean(), fx == null ? null : fx.scale(), fy == null ? null : fy.mean(),
        fy == null ? null : fy.scale()};
    Broadcast<double[][]> b = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(v);
    return rows.map(r -> {
      double[][] s = b.value();
      double[] x = r.x();
      double[] y = r.y();
      if (s[0] != null && r.rows() > 0) {
        x = x.clone();
        Standardizer.of(s[0], s[1]).applyInPlace(x);
      }
      if (s[2] != null && r.rows() > 0) {
        y = y.clone();
        Standardizer.of(s[2], s[3]).applyInPlace(y);
      }
      return new RowBatch(r.rows(), x, y);
    });
  }

  /** A session on the given master, or on spark-submit's when none is given. */
  static SparkSession start(String master) {
    SparkSession.Builder b = SparkSession.builder().appName("hesse spectrum");
    if (master != null) {
      b.master(master);
    } else if (!new org.apache.spark.SparkConf().contains("spark.master")) {
      throw new IllegalArgumentException("--spark: no master URL; give --spark MASTER or run through spark-submit --master");
    }
    return b.getOrCreate();
  }

  static List<Integer> selectLayers(Network net, String spec) {
    if (spec == null || spec.isBlank() || "all".equals(spec.trim())) return net.parametrisedLayers();
    List<Integer> out = new ArrayList<>();
    for (String s : spec.split(",")) {
      int l = net.layerIndex(s.trim());
      if (!net.parametrisedLayers().contains(l)) {
        throw new IllegalArgumentException("--layers: layer " + s.trim() + " has no parameters; layers with parameters: "
            + net.parametrisedLayers());
      }
      if (!out.contains(l)) out.add(l);
    }
    return out;
  }

  private static Map<String, Object> provenance(SpectraOptions o, Curvature.CacheMode option, DistributedCurvature dc, SparkSession spark, long nanos) {
    Map<String, Object> p = SpectraJson.provenance(o, String.valueOf(SparkSpectrum.class.getPackage().getImplementationVersion()), nanos);
    // the distributed curvature is float64 only (hesse spectrum --spark refuses --precision)
    p.put("precision", "f64");
    p.put("precision_source", "spark: float64 only");
    // the CLI's curvature_cache over the partitions' batches: what ran (all cached, none, else partial), the
    // estimated size of the whole cache (of all N rows, over the executors)
    Map<String, Object> cache = Curvature.cacheProvenance(option.id, dc.cachedBatches(), dc.batches(),
        Curvature.cacheBytes(dc.network(), dc.samples()));
    p.put("curvature_cache", cache);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("version", spark.version());
    s.put("master", spark.sparkContext().master());
    s.put("partitions", dc.partitions());
    s.put("streaming_partitions", dc.streamingPartitions());
    s.put("products", dc.products());
    s.put("product_seconds", dc.productSeconds());
    p.put("spark", s);
    return p;
  }
}
