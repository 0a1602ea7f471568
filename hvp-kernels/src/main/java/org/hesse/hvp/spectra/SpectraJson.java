package org.hesse.hvp.spectra;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.runtime.MemoryBudget;
import org.hesse.runtime.RuntimeInfo;
import org.hesse.runtime.ThreadPolicy;

/**
 * The report form of {@link LayerSpectra}: ordered maps, lists and boxed numbers that a JSON writer (Jackson)
 * serialises as the layer objects of {@code hesse spectrum}, {@code hesse analyze} and the Spark spectrum. The one
 * place that names the report's keys and fixes their order. Non-finite numbers become null (JSON has no NaN).
 */
public final class SpectraJson {
  private SpectraJson() {}

  /**
   * A report number.
   *
   * @param v a value
   * @return v, or null when NaN or infinite
   */
  public static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  /**
   * Report numbers.
   *
   * @param a values, or null
   * @return {@link #num} of each element; null for a null array
   */
  public static List<Double> nums(double[] a) {
    if (a == null) return null;
    List<Double> out = new ArrayList<>(a.length);
    for (double v : a) out.add(num(v));
    return out;
  }

  /**
   * One layer's report object. Keys in order: name, type, params, trace, trace_standard_error (estimates only),
   * trace_source, top, top_complete (ARPACK only), bottom, bottom_complete (ARPACK only), eigenvalues (when listed),
   * lambda_max, lambda_max_source, lambda_min, lambda_min_source, the metrics (null without them), metrics_source,
   * zero_cutoff, outlier_rule (with metrics), density (with SLQ), gradient_overlap_top (with top vectors) and
   * provenance (trace_applications, top_arpack, bottom_arpack, slq_applications, each where it applies).
   *
   * @param s the layer's spectra
   * @return a fresh, ordered map (nested maps and lists of boxed numbers)
   */
  public static Map<String, Object> layer(LayerSpectra s) {
    Map<String, Object> r = new LinkedHashMap<>();
    Map<String, Object> prov = new LinkedHashMap<>();
    r.put("name", s.name());
    r.put("type", s.type());
    r.put("params", s.params());
    LayerSpectra.TraceValue t = s.trace();
    r.put("trace", num(t.value()));
    if (t.estimate() != null) r.put("trace_standard_error", num(t.estimate().standardError()));
    r.put("trace_source", t.source());
    if (t.estimate() != null) prov.put("trace_applications", t.estimate().applications());
    putEnd(r, prov, "top", s.top());
    putEnd(r, prov, "bottom", s.bottom());
    if (s.eigenvaluesListed() && s.eigenvalues() != null) r.put("eigenvalues", nums(s.eigenvalues()));
    putExtreme(r, "lambda_max", s.lambdaMax());
    putExtreme(r, "lambda_min", s.lambdaMin());
    SpectralMetrics m = s.metrics();
    r.put("condition_number", m != null ? num(m.conditionNumber()) : null);
    r.put("condition_number_positive", m != null ? num(m.conditionNumberPositive()) : null);
    r.put("effective_rank", m != null ? num(m.effectiveRank()) : null);
    r.put("stable_rank", m != null ? num(m.stableRank()) : null);
    r.put("negative_fraction", m != null ? num(m.negativeFraction()) : null);
    r.put("negative_mass", m != null ? num(m.negativeMass()) : null);
    r.put("spectral_entropy", m != null ? num(m.spectralEntropy()) : null);
    r.put("outliers", m != null ? num(m.outliers()) : null);
    r.put("metrics_source", s.metricsSource());
    r.put("zero_cutoff", m != null ? num(m.zeroCutoff()) : null);
    if (m != null) r.put("outlier_rule", m.outlierRule());
    LayerSpectra.Density d = s.density();
    if (d != null) {
      Map<String, Object> dens = new LinkedHashMap<>();
      dens.put("grid", nums(d.curve().grid()));
      dens.put("values", nums(d.curve().values()));
      dens.put("sigma", d.curve().sigma());
      dens.put("steps", d.slq().steps());
      dens.put("probes", d.slq().probes());
      dens.put("nodes", Arrays.stream(d.slq().nodes()).map(SpectraJson::nums).toList());
      dens.put("weights", Arrays.stream(d.slq().weights()).map(SpectraJson::nums).toList());
      r.put("density", dens);
      prov.put("slq_applications", d.slq().applications());
    }
    if (s.gradientOverlapTop() != null) r.put("gradient_overlap_top", num(s.gradientOverlapTop()));
    r.put("provenance", prov);
    return r;
  }

  /**
   * The provenance object of a spectra run: the version, the runtime (back ends, JVM), the thread policy, the memory
   * budget, the options that fix the numbers (seed, ARPACK tolerance, ncv and iteration limit, the dense
   * threshold, Hutch++ budget, SLQ steps and probes) and the
   * wall time. A front end may add its own entries (the Spark one adds {@code spark}).
   *
   * @param o       the run's options
   * @param version the Hesse version (a jar's Implementation-Version; "null" when run from classes)
   * @param nanos   the run's wall time in nanoseconds
   * @return a fresh, ordered map
   */
  public static Map<String, Object> provenance(SpectraOptions o, String version, long nanos) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("hesse_version", version);
    p.put("runtime", RuntimeInfo.collect().toMap());
    p.put("threads", ThreadPolicy.current().describe());
    p.put("memory_budget_bytes", MemoryBudget.current().bytes());
    p.put("seed", o.seed());
    p.put("arpack_tol", o.tol());
    p.put("arpack_ncv", o.ncv());
    p.put("arpack_max_iterations", o.maxIterations());
    p.put("dense_max_dim", LayerSpectraEngine.denseMaxDim());
    p.put("hutchpp_budget", o.hutchBudget());
    p.put("slq_steps", o.slqSteps());
    p.put("slq_probes", o.slqProbes());
    p.put("seconds", nanos / 1e9);
    return p;
  }

  private static void putEnd(Map<String, Object> r, Map<String, Object> prov, String key, LayerSpectra.End e) {
    r.put(key, nums(e.values()));
    if (e.arpack() == null) return;
    r.put(key + "_complete", e.arpack().complete());
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("method", e.arpack().method());
    a.put("backend", e.arpack().backend());
    a.put("requested", e.arpack().requested());
    a.put("converged", e.arpack().converged());
    a.put("complete", e.arpack().complete());
    a.put("info", e.arpack().info());
    a.put("message", e.arpack().message());
    a.put("iterations", e.arpack().iterations());
    a.put("applications", e.arpack().applications());
    a.put("residuals", nums(e.residuals()));
    prov.put(key + "_arpack", a);
  }

  private static void putExtreme(Map<String, Object> r, String key, LayerSpectra.Extreme e) {
    r.put(key, e.source() == null ? null : num(e.value()));
    r.put(key + "_source", e.source());
  }
}
