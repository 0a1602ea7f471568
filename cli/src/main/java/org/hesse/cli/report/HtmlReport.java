package org.hesse.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.EpochPoint;
import org.hesse.cli.report.RunData.Finding;
import org.hesse.cli.report.RunData.LayerPoint;

/**
 * The run's report: one self-contained HTML page (inline CSS, plots as inline SVG, no scripts, no external
 * resources), readable offline.
 */
public final class HtmlReport {
  private HtmlReport() {}

  /** What the page shows. {@code status} is e.g. "complete" or "in progress (3 checkpoints)". */
  public record Input(String title, String status, Map<String, Object> config, List<EpochPoint> history,
                      List<Checkpoint> checkpoints, List<Finding> findings, long dataRank, MonitorStreams monitor,
                      double monitorThreshold, InterlayerMaps interlayer) {
    /** Without a monitor stream or inter-layer metrics. */
    public Input(String title, String status, Map<String, Object> config, List<EpochPoint> history,
                 List<Checkpoint> checkpoints, List<Finding> findings, long dataRank) {
      this(title, status, config, history, checkpoints, findings, dataRank, null, Double.NaN, null);
    }
  }

  public static String render(Input in) {
    StringBuilder h = new StringBuilder(1 << 16);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>").append(esc(in.title()))
        .append("</title>\n<style>\n")
        .append("body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:24px auto;max-width:1180px;color:#222;line-height:1.45}\n")
        .append("h1{font-size:1.6em;margin-bottom:0.2em}h2{border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:1.6em}\n")
        .append(".grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{margin:0}.grid svg{border:1px solid #e4e4e4}\n")
        .append("table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}\n")
        .append("th{background:#f4f4f4}td.l,th.l{text-align:left}.muted{color:#666}\n")
        .append(".finding{border-left:4px solid #d9822b;background:#fdf6ee;padding:6px 12px;margin:8px 0}\n")
        .append(".ok{border-left:4px solid #3c8d40;background:#eef7ee;padding:6px 12px}\n")
        .append(".calibration{font-size:0.85em;color:#8a5a00}figcaption{font-size:0.8em;color:#666;max-width:560px}\n")
        .append("dl dt{font-weight:bold;margin-top:8px}dl dd{margin-left:18px}\n")
        .append("</style></head><body>\n");
    h.append("<h1>").append(esc(in.title())).append("</h1>\n");
    h.append("<p class=\"muted\">Status: ").append(esc(in.status())).append(". ").append(summary(in)).append("</p>\n");

    h.append("<h2>Diagnostics</h2>\n");
    diagnostics(h, in);

    h.append("<h2>Training</h2>\n<div class=\"grid\">\n");
    lossPlots(h, in.history());
    h.append("</div>\n");

    if (in.monitor() != null) monitor(h, in.monitor(), in.monitorThreshold());
    if (in.interlayer() != null) interlayer(h, in.interlayer());

    List<Checkpoint> cps = in.checkpoints();
    if (!cps.isEmpty()) {
      h.append("<h2>Spectra over training</h2>\n<p>Per parametrised layer, at each checkpoint, on the fixed probe set. "
          + "λ_max from ARPACK (or the full spectrum), trace by Hutch++ (or exactly), effective rank exp(H) of the "
          + "normalised |λ| from SLQ (or the full spectrum). Error bands: ± 1 standard error of the estimator where "
          + "one exists: Hutch++'s own for the trace (stored per layer in spectra.json), the jackknife over the SLQ "
          + "probes for effective rank and negative mass; none for λ_max (a converged Ritz value, no sampling error "
          + "estimate stored) nor for exact values. An axis is logarithmic when a plot's values are all positive and "
          + "span more than " + String.format(Locale.ROOT, "%.0f", Plots.LOG_DECADES) + " decades.</p>\n<div class=\"grid\">\n");
      metricPlot(h, cps, "λ_max per layer", "λ_max", LayerPoint::lambdaMax, null);
      metricPlot(h, cps, "Trace per layer", "trace", LayerPoint::trace, LayerPoint::traceStandardError);
      metricPlot(h, cps, "Effective rank per layer", "effective rank", LayerPoint::effectiveRank,
          l -> Jackknife.standardError(l, org.hesse.eigen.SpectralMetrics::effectiveRank));
      metricPlot(h, cps, "Negative mass per layer", "Σ|λ<0| / Σ|λ|", LayerPoint::negativeMass,
          l -> Jackknife.standardError(l, org.hesse.eigen.SpectralMetrics::negativeMass));
      h.append("</div>\n");

      h.append("<h2>Spectral densities over training</h2>\n<p>Each layer's spectral density (SLQ nodes and weights, or "
          + "the full spectrum) at every checkpoint, as a heat map: columns are checkpoints, rows eigenvalue bins, colour "
          + "the density relative to the map's peak on a log scale (colour bar; floored at ")
          .append(Plots.label(Math.pow(10, Plots.HEAT_FLOOR))).append("). Gaussian broadening σ = ").append(String.format(Locale.ROOT, "%.3g", 100 * Plots.HEAT_SIGMA))
          .append("% of the plotted range, the same in every column.</p>\n<div class=\"grid\">\n");
      for (LayerPoint l0 : cps.get(0).layers()) {
        List<String> labels = new ArrayList<>();
        List<double[][]> nodes = new ArrayList<>();
        List<double[][]> weights = new ArrayList<>();
        for (Checkpoint c : cps) {
          LayerPoint l = c.layer(l0.name());
          if (l == null || l.nodes() == null) continue;
          labels.add(Integer.toString(c.epoch()));
          nodes.add(l.nodes());
          weights.add(l.weights());
        }
        if (nodes.isEmpty()) continue;
        String t = "Layer " + l0.name() + " (" + l0.type() + ", " + l0.params() + " parameters)";
        figure(h, Plots.densityHeatMap(t, labels, nodes, weights));
      }
      h.append("</div>\n");

      h.append("<h2>Metrics at the last checkpoint (epoch ").append(cps.get(cps.size() - 1).epoch()).append(")</h2>\n");
      lastTable(h, cps.get(cps.size() - 1));
    }

    h.append("<h2>Definitions and thresholds</h2>\n<p class=\"calibration\">Every rule below is ").append(esc(Diagnostics.CALIBRATION))
        .append(": its threshold was fitted on suite runs with a known answer, and its detection and false-alarm rates were "
            + "measured on data sets held out of the fit (docs/study.md).</p>\n<dl>\n");
    for (Map<String, String> r : Diagnostics.rules()) {
      h.append("<dt>").append(esc(r.get("name"))).append(" <span class=\"muted\">(").append(esc(r.get("id"))).append(")</span></dt>\n")
          .append("<dd><b>Rule:</b> ").append(esc(r.get("condition"))).append("<br><b>Reading:</b> ").append(esc(r.get("reading")))
          .append("<br><b>Calibration:</b> ").append(esc(r.get("calibration"))).append("</dd>\n");
    }
    h.append("</dl>\n<p>Rank bound of a layer: min(P, N·C'), N probe samples (here N·C' = ").append(in.dataRank())
        .append("), C' = outputs − 1 for cross-entropy, outputs for mse. A zero eigenvalue is |λ| ≤ ")
        .append(fmt(Diagnostics.ZERO_RELATIVE)).append(" · max|λ|. Rules need at least ").append(Diagnostics.WINDOW)
        .append(" checkpoints. The rates hold for runs like the suite's: read the evidence, not only the verdict.</p>\n");
    h.append("<p>Generalisation gap = validation loss − training loss. Effective rank = exp(−Σ p log p), p = |λ|/Σ|λ| "
        + "(Roy &amp; Vetterli). Negative mass = Σ_{λ&lt;0}|λ| / Σ|λ|. Condition number = max|λ| / min non-zero |λ|.</p>\n");

    h.append("<h2>Configuration</h2>\n<table>\n");
    for (Map.Entry<String, Object> e : in.config().entrySet()) {
      h.append("<tr><th class=\"l\">").append(esc(e.getKey())).append("</th><td class=\"l\">").append(esc(String.valueOf(e.getValue())))
          .append("</td></tr>\n");
    }
    h.append("</table>\n<p class=\"muted\">Files of this run: config.json, model.json, model.safetensors, metrics.csv, "
        + "training.csv, spectra.json, diagnostics.json, checkpoints/.</p>\n</body></html>\n");
    return h.toString();
  }

  private static String summary(Input in) {
    if (in.history().isEmpty()) return "";
    EpochPoint e = in.history().get(in.history().size() - 1);
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Epoch %d: training loss %.4g", e.epoch(), e.trainLoss()));
    if (Double.isFinite(e.valLoss())) s.append(String.format(Locale.ROOT, ", validation loss %.4g, gap %.4g", e.valLoss(), e.valLoss() - e.trainLoss()));
    if (Double.isFinite(e.trainAccuracy())) s.append(String.format(Locale.ROOT, ", training accuracy %.3f", e.trainAccuracy()));
    if (Double.isFinite(e.valAccuracy())) s.append(String.format(Locale.ROOT, ", validation accuracy %.3f", e.valAccuracy()));
    s.append(". ").append(in.checkpoints().size()).append(" checkpoints analysed.");
    return esc(s.toString());
  }

  private static void diagnostics(StringBuilder h, Input in) {
    h.append("<p class=\"calibration\">Every diagnostic is ").append(esc(Diagnostics.CALIBRATION))
        .append(". Each finding shows its rule, threshold and measured detection and false-alarm rates; a rule without the "
            + "evidence it needs, or not supported by the study, says so.</p>\n");
    Map<String, Map<String, String>> rules = new LinkedHashMap<>();
    for (Map<String, String> r : Diagnostics.rules()) rules.put(r.get("id"), r);
    h.append("<table>\n<tr><th class=\"l\">rule</th><th class=\"l\">status</th></tr>\n");
    for (Diagnostics.Status st : Diagnostics.statuses(in.checkpoints(), in.findings())) {
      h.append("<tr><td class=\"l\">").append(esc(rules.get(st.rule()).get("name"))).append("</td><td class=\"l\">")
          .append(esc(st.state())).append("</td></tr>\n");
    }
    h.append("</table>\n");
    if (in.findings().isEmpty()) {
      h.append("<div class=\"ok\">No diagnostic rule fired (see the status of each rule above).</div>\n");
      return;
    }
    for (Finding f : in.findings()) {
      h.append("<div class=\"finding\"><b>Layer ").append(esc(f.layer())).append(": ").append(esc(f.title()))
          .append("</b> <span class=\"calibration\">(").append(esc(rules.get(f.rule()).get("calibration"))).append("; rule ")
          .append(esc(f.rule())).append(")</span><br>Evidence: ").append(esc(f.evidence())).append("<br><span class=\"muted\">Rule: ")
          .append(esc(rules.get(f.rule()).get("condition"))).append("</span></div>\n");
    }
  }

  private static void lossPlots(StringBuilder h, List<EpochPoint> hist) {
    int n = hist.size();
    double[] ep = new double[n], tl = new double[n], vl = new double[n], ta = new double[n], va = new double[n], gap = new double[n];
    boolean acc = false;
    boolean val = false;
    for (int i = 0; i < n; i++) {
      EpochPoint e = hist.get(i);
      ep[i] = e.epoch();
      tl[i] = e.trainLoss();
      vl[i] = e.valLoss();
      ta[i] = e.trainAccuracy();
      va[i] = e.valAccuracy();
      gap[i] = e.valLoss() - e.trainLoss();
      acc |= Double.isFinite(e.trainAccuracy());
      val |= Double.isFinite(e.valLoss());
    }
    List<Plots.Series> loss = new ArrayList<>();
    loss.add(new Plots.Series("train", ep, tl));
    if (val) loss.add(new Plots.Series("validation", ep, vl));
    figure(h, Plots.lines("Loss", "epoch", "loss", loss));
    if (acc) {
      List<Plots.Series> a = new ArrayList<>();
      a.add(new Plots.Series("train", ep, ta));
      if (val) a.add(new Plots.Series("validation", ep, va));
      figure(h, Plots.lines("Accuracy", "epoch", "accuracy", a));
    }
    if (val) figure(h, Plots.lines("Generalisation gap", "epoch", "val loss − train loss", List.of(new Plots.Series("gap", ep, gap))));
  }

  /** Per source: every layer's trace estimate over the steps (± its standard error) and its CUSUM, alarms marked. */
  private static void monitor(StringBuilder h, MonitorStreams m, double threshold) {
    h.append("<h2>Curvature monitor</h2>\n<p>Per parametrised layer, the Hessian trace estimated every K optimizer steps "
        + "from P Rademacher probes of the full Hessian on the step's mini-batch (source <i>batch</i>; <i>probe</i> = a fixed "
        + "probe batch), ± its standard error over the probes, and the one-sided CUSUM on its log-increments (docs/monitor.md). "
        + "A dashed red line marks a memorisation alarm: the step at which a layer's CUSUM first exceeded the threshold h")
        .append(Double.isFinite(threshold) ? " = " + fmt(threshold) : "").append(". ").append(m.alarms().size())
        .append(" alarm(s). The threshold's false-alarm rate holds for runs like its calibration runs only "
            + "(docs/memorisation.md measures it).</p>\n<div class=\"grid\">\n");
    for (String source : m.sources()) {
      List<Plots.Series> traces = new ArrayList<>();
      List<Plots.Series> cusums = new ArrayList<>();
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (MonitorStreams.Stream s : m.streams()) {
        if (!s.source().equals(source)) continue;
        traces.add(new Plots.Series("layer " + s.layer(), s.step(), s.trace(), s.se()));
        cusums.add(new Plots.Series("layer " + s.layer(), s.step(), s.cusum()));
        for (double x : s.step()) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
      if (Double.isFinite(threshold) && lo <= hi) {
        cusums.add(new Plots.Series("threshold h", new double[] {lo, hi}, new double[] {threshold, threshold}));
      }
      List<Plots.Mark> marks = new ArrayList<>();
      for (MonitorStreams.Alarm a : m.alarms()) {
        if (a.source().equals(source)) marks.add(new Plots.Mark(a.step(), "alarm: layer " + a.layer() + " (epoch " + a.epoch() + ")"));
      }
      figure(h, Plots.lines("Trace per layer (" + source + ")", "optimizer step", "trace", traces, marks));
      figure(h, Plots.lines("CUSUM per layer (" + source + ")", "optimizer step", "CUSUM statistic", cusums, marks));
    }
    h.append("</div>\n");
  }

  /** Heat maps of inter-layer resonance R and coupling C over the layer pairs of an inter-layer report. */
  private static void interlayer(StringBuilder h, InterlayerMaps m) {
    h.append("<h2>Inter-layer curvature</h2>\n<p>From interlayer.json (the final weights, on the probe set): per pair of "
        + "parametrised layers v, w the off-diagonal Hessian block's resonance R = ‖H_vw‖_F and coupling "
        + "C = ‖H_vw‖_F / √(‖H_vv‖_F ‖H_ww‖_F); colour linear from 0 (dark) to the map's largest value, the value printed "
        + "(stochastic estimates carry a standard error in the file). Φ, the share of ‖H‖_F² a block-diagonal "
        + "preconditioner discards: ").append(fmt(m.phi())).append(".</p>\n<div class=\"grid\">\n");
    figure(h, Plots.heatMap("Inter-layer resonance R = ‖H_vw‖_F", m.layers(), m.resonance(), m.resonanceSe()));
    figure(h, Plots.heatMap("Inter-layer coupling C", m.layers(), m.coupling(), m.couplingSe()));
    h.append("</div>\n");
  }

  private interface Metric {
    double of(LayerPoint l);
  }

  /** One line per layer over the checkpoints; {@code se} (null = none) gives each point's standard error. */
  private static void metricPlot(StringBuilder h, List<Checkpoint> cps, String title, String yTitle, Metric m, Metric se) {
    Map<String, double[][]> byLayer = new LinkedHashMap<>();
    int n = cps.size();
    for (int i = 0; i < n; i++) {
      for (LayerPoint l : cps.get(i).layers()) {
        double[][] xy = byLayer.computeIfAbsent(l.name(), k -> {
          double[][] a = new double[3][n];
          java.util.Arrays.fill(a[1], Double.NaN);
          java.util.Arrays.fill(a[2], Double.NaN);
          return a;
        });
        xy[0][i] = cps.get(i).epoch();
        xy[1][i] = m.of(l);
        if (se != null) xy[2][i] = se.of(l);
      }
    }
    List<Plots.Series> s = new ArrayList<>();
    for (Map.Entry<String, double[][]> e : byLayer.entrySet()) {
      s.add(new Plots.Series("layer " + e.getKey(), e.getValue()[0], e.getValue()[1], se == null ? null : e.getValue()[2]));
    }
    figure(h, Plots.lines(title, "epoch", yTitle, s));
  }

  private static void lastTable(StringBuilder h, Checkpoint c) {
    h.append("<table>\n<tr><th class=\"l\">layer</th><th class=\"l\">type</th><th>params</th><th>λ_max</th><th>λ_min</th><th>trace</th>"
        + "<th>effective rank</th><th>condition number</th><th>negative fraction</th><th>negative mass</th><th>zero fraction</th>"
        + "<th class=\"l\">metrics from</th><th class=\"l\">top eigenvalues</th></tr>\n");
    for (LayerPoint l : c.layers()) {
      StringBuilder top = new StringBuilder();
      if (l.top() != null) for (double v : l.top()) top.append(top.length() == 0 ? "" : ", ").append(fmt(v));
      h.append("<tr><td class=\"l\">").append(esc(l.name())).append("</td><td class=\"l\">").append(esc(l.type())).append("</td><td>")
          .append(l.params()).append("</td><td>").append(fmt(l.lambdaMax())).append("</td><td>").append(fmt(l.lambdaMin()))
          .append("</td><td>").append(fmt(l.trace())).append("</td><td>").append(fmt(l.effectiveRank())).append("</td><td>")
          .append(fmt(l.conditionNumber())).append("</td><td>").append(fmt(l.negativeFraction())).append("</td><td>")
          .append(fmt(l.negativeMass())).append("</td><td>").append(fmt(l.zeroFraction())).append("</td><td class=\"l\">")
          .append(esc(String.valueOf(l.metricsSource()))).append("</td><td class=\"l\">").append(esc(top.toString())).append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void figure(StringBuilder h, String svg) {
    h.append("<figure>").append(svg).append("</figure>\n");
  }

  static String fmt(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4g", v) : "–";
  }

  public static String esc(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '<': b.append("&lt;"); break;
        case '>': b.append("&gt;"); break;
        case '&': b.append("&amp;"); break;
        case '"': b.append("&quot;"); break;
        default: b.append(ch);
      }
    }
    return b.toString();
  }
}
