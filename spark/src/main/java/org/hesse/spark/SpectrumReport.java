package org.hesse.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.eigen.Arpack;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.Slq;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.eigen.Trace;
import org.hesse.eigen.TraceEstimate;
import org.hesse.eigen.Which;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Network;

/**
 * One layer's report object of {@code hesse spectrum} over a distributed curvature: the same keys, the same eigen
 * calls in the same order with the same seeds and budgets as the single-machine engine (cli's SpectrumEngine, the
 * matrix-free path: Hutch++ trace, ARPACK top/bottom with its one ncv retry, SLQ density and metrics), so the
 * numbers agree up to the summation order. The dense (--full) and back-matching paths are not distributed.
 */
final class SpectrumReport {
  /** What to compute; defaults are the CLI's. */
  static final class Options {
    Curvature.Kind kind = Curvature.Kind.HESSIAN;
    int top = 5;
    int bottom = 0;
    boolean density;
    int slqSteps = 90;
    int slqProbes = 10;
    int densityPoints = 200;
    int hutchBudget = 30;
    double tol = 1e-8;
    long seed = 0;
  }

  private final DistributedCurvature dc;
  private final Options o;

  SpectrumReport(DistributedCurvature dc, Options o) {
    if (o.top < 0 || o.bottom < 0) throw new IllegalArgumentException("--top and --bottom must be >= 0");
    this.dc = dc;
    this.o = o;
  }

  Map<String, Object> layer(int l) {
    Network net = dc.network();
    LinearOperator op = dc.block(o.kind, l);
    int p = op.dim();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", Integer.toString(l));
    r.put("type", net.layer(l).type());
    r.put("params", p);
    SlqResult slq = o.density ? Slq.run(op, Math.min(o.slqSteps, p), o.slqProbes, o.seed) : null;

    Map<String, Object> prov = new LinkedHashMap<>();
    double[] topValues = new double[0];
    double[] bottomValues = new double[0];
    double[][] vectors = null;
    TraceEstimate te = Trace.hutchPlusPlus(op, Math.min(o.hutchBudget, 3 * Math.max(1, p / 3)), o.seed);
    r.put("trace", num(te.estimate()));
    r.put("trace_standard_error", num(te.standardError()));
    r.put("trace_source", te.method());
    prov.put("trace_applications", te.applications());
    if (o.top > 0) {
      ArpackResult a = arpack(op, Which.LA, o.top);
      topValues = reverse(a.eigenvalues());
      r.put("top", nums(topValues));
      r.put("top_complete", a.complete());
      prov.put("top_arpack", arpackProvenance(a, op));
      vectors = new double[a.eigenvalues().length][];
      for (int j = 0; j < vectors.length; j++) vectors[j] = a.eigenvector(a.eigenvalues().length - 1 - j);
    } else {
      r.put("top", List.of());
    }
    if (o.bottom > 0) {
      ArpackResult a = arpack(op, Which.SA, o.bottom);
      bottomValues = a.eigenvalues();
      r.put("bottom", nums(bottomValues));
      r.put("bottom_complete", a.complete());
      prov.put("bottom_arpack", arpackProvenance(a, op));
    } else {
      r.put("bottom", List.of());
    }
    SpectralMetrics m = slq != null ? SpectralMetrics.fromSlq(slq) : null;
    // ARPACK's converged Ritz values, else SLQ's extreme nodes (inside the spectrum: they under-estimate |λ|)
    putExtreme(r, "lambda_max", topValues.length > 0 ? "arpack" : m != null ? "slq" : null,
        topValues.length > 0 ? topValues[0] : m != null ? m.lambdaMax() : Double.NaN);
    putExtreme(r, "lambda_min", bottomValues.length > 0 ? "arpack" : m != null ? "slq" : null,
        bottomValues.length > 0 ? bottomValues[0] : m != null ? m.lambdaMin() : Double.NaN);
    r.put("condition_number", m != null ? num(m.conditionNumber()) : null);
    r.put("condition_number_positive", m != null ? num(m.conditionNumberPositive()) : null);
    r.put("effective_rank", m != null ? num(m.effectiveRank()) : null);
    r.put("stable_rank", m != null ? num(m.stableRank()) : null);
    r.put("negative_fraction", m != null ? num(m.negativeFraction()) : null);
    r.put("negative_mass", m != null ? num(m.negativeMass()) : null);
    r.put("spectral_entropy", m != null ? num(m.spectralEntropy()) : null);
    r.put("outliers", m != null ? num(m.outliers()) : null);
    r.put("metrics_source", m != null ? "slq" : null);
    r.put("zero_cutoff", m != null ? num(m.zeroCutoff()) : null);
    if (m != null) r.put("outlier_rule", m.outlierRule());
    if (slq != null) {
      SlqResult.Density d = slq.density(o.densityPoints, slq.defaultSigma());
      Map<String, Object> dens = new LinkedHashMap<>();
      dens.put("grid", nums(d.grid()));
      dens.put("values", nums(d.values()));
      dens.put("sigma", d.sigma());
      dens.put("steps", slq.steps());
      dens.put("probes", slq.probes());
      dens.put("nodes", Arrays.stream(slq.nodes()).map(SpectrumReport::nums).toList());
      dens.put("weights", Arrays.stream(slq.weights()).map(SpectrumReport::nums).toList());
      r.put("density", dens);
      prov.put("slq_applications", slq.applications());
    }
    if (vectors != null) r.put("gradient_overlap_top", num(gradientOverlap(l, vectors)));
    r.put("provenance", prov);
    return r;
  }

  /** ARPACK at one end, with the single-machine engine's one retry at twice the Lanczos vectors when info = 3. */
  private ArpackResult arpack(LinearOperator op, Which which, int k) {
    int n = op.dim();
    int kk = Math.min(k, n);
    ArpackResult a = Arpack.request(kk).which(which).tol(o.tol).seed(o.seed).vectors(true).solve(op);
    int ncv = Math.min(n, 2 * Math.max(2 * kk + 1, 20));
    if (!a.complete() && a.info() == 3 && ncv > kk && ncv > Math.max(2 * kk + 1, 20)) {
      a = Arpack.request(kk).which(which).tol(o.tol).seed(o.seed).ncv(ncv).vectors(true).solve(op);
    }
    return a;
  }

  private static Map<String, Object> arpackProvenance(ArpackResult a, LinearOperator op) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("method", a.method());
    m.put("backend", a.backend());
    m.put("requested", a.requested());
    m.put("converged", a.converged());
    m.put("complete", a.complete());
    m.put("info", a.info());
    m.put("message", a.message());
    m.put("iterations", a.iterations());
    m.put("applications", a.applications());
    m.put("residuals", nums(a.residuals(op)));
    return m;
  }

  /** ‖Vᵀ g_l‖² / ‖g_l‖²: the share of layer l's gradient in the span of the given orthonormal vectors. */
  private double gradientOverlap(int l, double[][] vectors) {
    Network net = dc.network();
    double[] g = Arrays.copyOfRange(dc.gradient(), net.offset(l), net.offset(l) + net.layer(l).paramCount());
    double gg = 0;
    for (double v : g) gg += v * v;
    if (gg == 0) return Double.NaN;
    double s = 0;
    for (double[] v : vectors) {
      double d = 0;
      for (int i = 0; i < g.length; i++) d += v[i] * g[i];
      s += d * d;
    }
    return s / gg;
  }

  private static void putExtreme(Map<String, Object> r, String key, String source, double value) {
    r.put(key, source == null ? null : num(value));
    r.put(key + "_source", source);
  }

  /** A number, or null when NaN or infinite (JSON has no NaN), as in the CLI's reports. */
  static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  static List<Double> nums(double[] a) {
    if (a == null) return null;
    List<Double> out = new ArrayList<>(a.length);
    for (double v : a) out.add(num(v));
    return out;
  }

  private static double[] reverse(double[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[a.length - 1 - i];
    return out;
  }
}
