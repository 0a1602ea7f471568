package org.hesse.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hesse.eigen.Arpack;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.DenseEigen;
import org.hesse.eigen.DenseSpectrum;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.Slq;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.eigen.Trace;
import org.hesse.eigen.TraceEstimate;
import org.hesse.eigen.Which;
import org.hesse.hvp.backmatching.BackMatching;
import org.hesse.hvp.curvature.Curvature;
import org.hesse.nn.Dense;
import org.hesse.nn.Network;

/**
 * Per-layer spectra of one curvature (Hessian, GGN or back-matching) at fixed weights and data: the shared
 * engine of {@code hesse spectrum} and {@code hesse analyze}. Produces the report's layer objects.
 *
 * <p>Sources: with {@code full}, every eigenvalue by dense LAPACK (refused beyond the memory budget) and
 * top/bottom/trace from it; otherwise top and bottom by ARPACK on the block operator and the trace by
 * Hutch++. Back-matching spectra always come from the structure eig(C). Metrics that need the whole
 * spectrum come from the full spectrum or from SLQ ({@code density}), labelled with their source, else null.
 */
final class SpectrumEngine {
  /** What to compute; defaults are the CLI's. */
  static final class Options {
    String curvature = "hessian";
    int top = 5;
    int bottom = 0;
    boolean full;
    boolean density;
    boolean vectors;
    int slqSteps = 90;
    int slqProbes = 10;
    int densityPoints = 200;
    int hutchBudget = 30;
    double tol = 1e-8;
    long seed = 0;
  }

  static final List<String> CURVATURES = List.of("hessian", "ggn", "backmatching");

  private final Curvature curv;
  private final Options o;
  private BackMatching bm;

  SpectrumEngine(Curvature curv, Options o) {
    if (!CURVATURES.contains(o.curvature)) {
      throw new IllegalArgumentException("unknown curvature '" + o.curvature + "', expected one of " + CURVATURES);
    }
    if (o.top < 0 || o.bottom < 0) throw new IllegalArgumentException("--top and --bottom must be >= 0");
    this.curv = curv;
    this.o = o;
  }

  /** Where the phases of each layer are announced (a silent bar by default). */
  Progress progress = Progress.NONE;

  /** Eigenvectors of the last layer analysed (top first), for --vectors; null when none. */
  double[][] lastVectors;

  /** One layer's report object; eigenvectors of the top end, if computed, are left in {@link #lastVectors}. */
  Map<String, Object> layer(int l) {
    Network net = curv.network();
    LinearOperator op = operator(l);
    int p = op.dim();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("name", Integer.toString(l));
    r.put("type", net.layer(l).type());
    r.put("params", p);
    lastVectors = null;

    double[] full = null;
    String fullSource = null;
    if ("backmatching".equals(o.curvature) && net.layer(l) instanceof Dense) {
      // a dense layer's weight side is a permutation of I_out ⊗ C: its spectrum is eig(C), each out times
      full = backMatching().weightSideEigenvalues(l);
      fullSource = "structure";
    } else if (o.full) {
      progress.message("layer " + l + ": full spectrum (dense, " + p + " parameters)");
      DenseSpectrum ds = DenseEigen.all(DenseEigen.materialize(op, org.hesse.runtime.MemoryBudget.current().bytes()), p,
          o.vectors);
      full = ds.eigenvalues();
      fullSource = "dense";
      if (o.vectors) {
        int k = Math.min(o.top, p);
        lastVectors = new double[k][];
        for (int j = 0; j < k; j++) lastVectors[j] = ds.eigenvector(p - 1 - j);
      }
    }
    // with the whole spectrum known exactly, SLQ would only approximate it
    if (o.density && full == null) progress.message("layer " + l + ": density (SLQ, " + o.slqProbes + " probes)");
    SlqResult slq = o.density && full == null ? Slq.run(op, Math.min(o.slqSteps, p), o.slqProbes, o.seed) : null;

    Map<String, Object> prov = new LinkedHashMap<>();
    double[] topValues = new double[0];
    double[] bottomValues = new double[0];
    if (full != null) {
      double t = 0;
      for (double v : full) t += v;
      r.put("trace", Json.num(t));
      r.put("trace_source", fullSource);
      topValues = topOf(full, o.top);
      r.put("top", Json.nums(topValues));
      bottomValues = Arrays.copyOf(full, Math.min(o.bottom, full.length));
      r.put("bottom", Json.nums(bottomValues));
      if (o.full) r.put("eigenvalues", Json.nums(full));
    } else {
      progress.message("layer " + l + ": trace (Hutch++)");
      TraceEstimate te = Trace.hutchPlusPlus(op, Math.min(o.hutchBudget, 3 * Math.max(1, p / 3)), o.seed);
      r.put("trace", Json.num(te.estimate()));
      r.put("trace_standard_error", Json.num(te.standardError()));
      r.put("trace_source", te.method());
      prov.put("trace_applications", te.applications());
      if (o.top > 0) {
        progress.message("layer " + l + ": top " + o.top + " (ARPACK)");
        ArpackResult a = arpack(op, Which.LA, o.top);
        topValues = reverse(a.eigenvalues());
        r.put("top", Json.nums(topValues));
        r.put("top_complete", a.complete());
        prov.put("top_arpack", arpackProvenance(a, op));
        lastVectors = new double[a.eigenvalues().length][];
        for (int j = 0; j < lastVectors.length; j++) lastVectors[j] = a.eigenvector(a.eigenvalues().length - 1 - j);
      } else {
        r.put("top", List.of());
      }
      if (o.bottom > 0) {
        progress.message("layer " + l + ": bottom " + o.bottom + " (ARPACK)");
        ArpackResult a = arpack(op, Which.SA, o.bottom);
        bottomValues = a.eigenvalues();
        r.put("bottom", Json.nums(bottomValues));
        r.put("bottom_complete", a.complete());
        prov.put("bottom_arpack", arpackProvenance(a, op));
      } else {
        r.put("bottom", List.of());
      }
    }
    SpectralMetrics m = full != null ? SpectralMetrics.fromSpectrum(full) : slq != null ? SpectralMetrics.fromSlq(slq) : null;
    // The extremes: exact from the whole spectrum, else ARPACK's (converged Ritz values), else SLQ's extreme nodes,
    // which lie inside the spectrum and so under-estimate |λ| at either end.
    putExtreme(r, "lambda_max", full != null ? fullSource : topValues.length > 0 ? "arpack" : m != null ? "slq" : null,
        full != null ? full[full.length - 1] : topValues.length > 0 ? topValues[0] : m != null ? m.lambdaMax() : Double.NaN);
    putExtreme(r, "lambda_min", full != null ? fullSource : bottomValues.length > 0 ? "arpack" : m != null ? "slq" : null,
        full != null ? full[0] : bottomValues.length > 0 ? bottomValues[0] : m != null ? m.lambdaMin() : Double.NaN);
    r.put("condition_number", m != null ? Json.num(m.conditionNumber()) : null);
    r.put("condition_number_positive", m != null ? Json.num(m.conditionNumberPositive()) : null);
    r.put("effective_rank", m != null ? Json.num(m.effectiveRank()) : null);
    r.put("stable_rank", m != null ? Json.num(m.stableRank()) : null);
    r.put("negative_fraction", m != null ? Json.num(m.negativeFraction()) : null);
    r.put("negative_mass", m != null ? Json.num(m.negativeMass()) : null);
    r.put("spectral_entropy", m != null ? Json.num(m.spectralEntropy()) : null);
    r.put("outliers", m != null ? Json.num(m.outliers()) : null);
    r.put("metrics_source", m != null ? (full != null ? fullSource : "slq") : null);
    r.put("zero_cutoff", m != null ? Json.num(m.zeroCutoff()) : null);
    if (m != null) r.put("outlier_rule", m.outlierRule());
    if (slq != null) {
      SlqResult.Density d = slq.density(o.densityPoints, slq.defaultSigma());
      Map<String, Object> dens = new LinkedHashMap<>();
      dens.put("grid", Json.nums(d.grid()));
      dens.put("values", Json.nums(d.values()));
      dens.put("sigma", d.sigma());
      dens.put("steps", slq.steps());
      dens.put("probes", slq.probes());
      dens.put("nodes", Arrays.stream(slq.nodes()).map(Json::nums).toList());
      dens.put("weights", Arrays.stream(slq.weights()).map(Json::nums).toList());
      r.put("density", dens);
      prov.put("slq_applications", slq.applications());
    }
    if (lastVectors != null) r.put("gradient_overlap_top", Json.num(gradientOverlap(l, lastVectors)));
    r.put("provenance", prov);
    requireFinite(l, r, full, topValues, bottomValues);
    return r;
  }

  /**
   * A non-finite eigenvalue or trace is a numerical failure, never a null in a report (Json.num maps NaN to null,
   * which would read as "not computed").
   */
  private static void requireFinite(int l, Map<String, Object> r, double[] full, double[] top, double[] bottom) {
    NumericalFailure.requireFinite("layer " + l + " eigenvalues", full);
    NumericalFailure.requireFinite("layer " + l + " top eigenvalues", top);
    NumericalFailure.requireFinite("layer " + l + " bottom eigenvalues", bottom);
    if (r.get("trace") == null) NumericalFailure.requireFinite("layer " + l + " trace", Double.NaN);
  }

  private static void putExtreme(Map<String, Object> r, String key, String source, double value) {
    r.put(key, source == null ? null : Json.num(value));
    r.put(key + "_source", source);
  }

  /** The block operator of layer l for the chosen curvature. */
  LinearOperator operator(int l) {
    switch (o.curvature) {
      case "hessian": return curv.block(Curvature.Kind.HESSIAN, l);
      case "ggn": return curv.block(Curvature.Kind.GGN, l);
      default: return backMatching().weightSide(l);
    }
  }

  private BackMatching backMatching() {
    if (bm == null) bm = new BackMatching(curv);
    return bm;
  }

  /**
   * ARPACK at one end. A degenerate end (e.g. the exact null space of a cross-entropy Hessian) can leave
   * ARPACK with no shifts to apply (info = 3); the documented remedy is a larger ncv, so one retry with twice
   * the Lanczos vectors. A result that is still partial is reported as such.
   */
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
    m.put("residuals", Json.nums(a.residuals(op)));
    return m;
  }

  /** ‖Vᵀ g_l‖² / ‖g_l‖²: the share of layer l's gradient in the span of the given orthonormal vectors. */
  private double gradientOverlap(int l, double[][] vectors) {
    Network net = curv.network();
    double[] g = Arrays.copyOfRange(curv.gradient(), net.offset(l), net.offset(l) + net.layer(l).paramCount());
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

  static double[] topOf(double[] ascending, int k) {
    int n = Math.min(k, ascending.length);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) out[i] = ascending[ascending.length - 1 - i];
    return out;
  }

  static double[] reverse(double[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[a.length - 1 - i];
    return out;
  }
}
