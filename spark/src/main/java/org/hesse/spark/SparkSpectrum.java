package org.hesse.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.hesse.hvp.spectra.CurvatureKind;
import org.hesse.hvp.spectra.LayerSpectraEngine;
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
 * path Spark reads: local, HDFS, S3); the model and weights are read on the driver.
 */
@Command(name = "hesse-spark spectrum", mixinStandardHelpOptions = true,
    description = "Per-layer spectra (top/bottom eigenvalues, trace, density, metrics) of the Hessian or GGN of a model "
        + "on a data set held by Spark; values are for the mean loss over all rows.")
public final class SparkSpectrum implements Callable<Integer> {
  static final int DEFAULT_BATCH = 256;
  static final int EXIT_BAD_INPUT = 2;
  static final int EXIT_FAILURE = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--spark", description = "Spark master URL (e.g. local[4], spark://host:7077); default: spark-submit's.")
  String master;

  @Option(names = "--partitions", defaultValue = "0", description = "Repartition the rows into N partitions (0 = as read).")
  int partitions;

  @Option(names = "--model", required = true, description = "Model description (JSON).")
  Path model;

  @Option(names = "--weights", required = true, description = "Weights (safetensors, state-dict names).")
  Path weights;

  @Option(names = "--data", required = true, description = "Data: CSV with a header, LibSVM (.svm/.libsvm) or Parquet (.parquet); a file or directory Spark reads.")
  String data;

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

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code = run(null, out, err, args);
    out.flush();
    err.flush();
    System.exit(code);
  }

  /**
   * Runs one command line and returns its exit code: 0, 2 for bad input (one line on err, nothing written), 1 for
   * a failure. With {@code session} null, a session is started from --spark or spark-submit's configuration and
   * stopped at the end; a given session is used and left running.
   */
  public static int run(SparkSession session, PrintWriter out, PrintWriter err, String... args) {
    SparkSpectrum cmd = new SparkSpectrum();
    cmd.session = session;
    cmd.stdout = out;
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
      boolean bad = cause instanceof IllegalArgumentException || cause instanceof java.io.IOException;
      String msg = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage().lines().findFirst().orElse("");
      err.println("hesse: error: " + (bad ? msg : cause.getClass().getSimpleName() + ": " + msg));
      if (System.getenv("HESSE_DEBUG") != null) ex.printStackTrace(err);
      return bad ? EXIT_BAD_INPUT : EXIT_FAILURE;
    });
    return cl.execute(args);
  }

  /** The first IllegalArgumentException or IOException in the cause chain, else the innermost cause. */
  static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (true) {
      if (c instanceof IllegalArgumentException || c instanceof java.io.IOException) return c;
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
    long t0 = System.nanoTime();
    Network net = ModelFiles.network(ModelSpec.read(model));
    DistributedCurvature.requireRowSeparable(net, m);  // before Spark starts
    double[] theta = ModelFiles.readParameters(net, weights);
    double[] buffers = ModelFiles.readBuffers(net, weights);
    List<Integer> selected = selectLayers(net, layers);
    List<String> targets = target == null || target.isBlank() ? null : Arrays.stream(target.split(",")).map(String::trim).toList();
    boolean own = session == null;
    SparkSession spark = own ? start(master) : session;
    try {
      JavaRDD<RowBatch> rows = SparkData.read(spark, data, targets, net);
      if (partitions > 0) rows = rows.repartition(partitions);
      try (DistributedCurvature dc = DistributedCurvature.of(rows, net, theta, buffers, m, batch > 0 ? batch : DEFAULT_BATCH)) {
        LayerSpectraEngine engine = new LayerSpectraEngine(dc.spectraSource(), o);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("loss", SpectraJson.num(dc.loss()));
        report.put("samples", dc.samples());
        report.put("curvature", curvature);
        report.put("mode", mode);
        report.put("batch", dc.batchSize());
        List<Object> layerReports = new ArrayList<>();
        for (int l : selected) layerReports.add(SpectraJson.layer(engine.layer(l)));
        report.put("layers", layerReports);
        report.put("provenance", provenance(o, dc, spark, System.nanoTime() - t0));
        String json = MAPPER.writeValueAsString(report);
        if (out == null) stdout.println(json);
        else AtomicFiles.writeString(out, json + "\n");
      }
    } finally {
      if (own) spark.stop();
    }
    return 0;
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

  private static Map<String, Object> provenance(SpectraOptions o, DistributedCurvature dc, SparkSession spark, long nanos) {
    Map<String, Object> p = SpectraJson.provenance(o, String.valueOf(SparkSpectrum.class.getPackage().getImplementationVersion()), nanos);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("version", spark.version());
    s.put("master", spark.sparkContext().master());
    s.put("partitions", dc.partitions());
    s.put("products", dc.products());
    s.put("product_seconds", dc.productSeconds());
    p.put("spark", s);
    return p;
  }
}
