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
import org.hesse.hvp.curvature.Float32Curvature;
import org.hesse.hvp.spectra.CurvatureSource;
import org.hesse.io.AtomicFiles;
import org.hesse.io.Safetensors;
import org.hesse.io.Tensor;
import org.hesse.nn.Mode;
import org.hesse.nn.Network;
import org.hesse.precision.Precision;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.RuntimeInfo;
import org.hesse.runtime.ThreadPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

  @Mixin ModelInputs io;

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

  @Option(names = "--precision", description = "f32 or f64: the storage of activations, tangents and products "
      + "(reductions and eigen-solver vectors are f64 either way; --curvature-cache works in both; default: the "
      + "weights file's dtype).")
  String precision;

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
      Path runDir = io.model.toAbsolutePath().getParent(); // its standardizer.json SparkSpectrum applies itself, as here
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
    if (precision != null) ModelInputs.precision(precision, null);  // checks --precision before any input is read
    o.toLibrary(); // checks --ncv and --max-iterations (the rule is SpectraOptions') before any input is read
    long t0 = System.nanoTime();
    PrintWriter err = spec.commandLine().getErr();
    ModelInputs.Loaded loaded = io.load(out);
    Network net = loaded.net;
    Dataset d = loaded.data;
    ModelInputs.Inputs in = loaded.in;
    List<Integer> selected = selectLayers(net, layers);
    // the notes and warnings only once every input is accepted: a bad input gets its one error line alone
    for (String note : in.notes) err.println(note);
    err.flush();
    Map.Entry<Precision, String> prec = ModelInputs.precision(precision, loaded);
    if (prec.getKey() == Precision.F32 && "backmatching".equals(curvature)) {
      throw new org.hesse.io.InputException("precision f32: the back-matching curvature has no float32 path; use --precision f64");
    }
    double loss;
    int samples;
    int batchRows;
    SpectrumEngine engine;
    Map<String, Object> cacheProvenance;
    if (prec.getKey() == Precision.F32) {
      Float32Curvature c = io.curvature32(loaded);
      engine = new SpectrumEngine(CurvatureSource.of(c), o);
      loss = c.loss();
      samples = c.samples();
      batchRows = c.batchSize();
      cacheProvenance = c.cacheProvenance(io.curvatureCache);
    } else {
      Curvature c = io.curvature(loaded);
      engine = new SpectrumEngine(c, o);
      loss = c.loss();
      samples = c.samples();
      batchRows = c.batchSize();
      cacheProvenance = c.cacheProvenance(io.curvatureCache);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("loss", Json.num(loss));
    if (!d.isClassification()) report.put("targets", loaded.targetsScale);
    report.put("features", in.pre == null || in.pre.features() == null ? "as given" : "standardised (" + in.standardizerFile + ")");
    report.put("samples", samples);
    report.put("curvature", curvature);
    report.put("mode", io.mode);
    report.put("batch", batchRows);
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
    Map<String, Object> prov = provenance(o, System.nanoTime() - t0);
    prov.put("precision", prec.getKey().id);
    prov.put("precision_source", prec.getValue());
    prov.put("curvature_cache", cacheProvenance);
    report.put("provenance", prov);
    String json = Json.write(report);
    if (out == null) {
      spec.commandLine().getOut().println(json);
    } else {
      if (vectors) Safetensors.write(vectorsPath(out), vecs.values());
      AtomicFiles.writeString(out, json + "\n");
    }
    return 0;
  }

  static Path vectorsPath(Path report) {
    String name = report.getFileName().toString();
    String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    return report.resolveSibling(stem + ".vectors.safetensors");
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
