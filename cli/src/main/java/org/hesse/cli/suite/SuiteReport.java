package org.hesse.cli.suite;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.hesse.cli.report.Calibration;
import org.hesse.cli.report.HtmlReport;
import org.hesse.cli.report.Plots;
import org.hesse.cli.report.RunData;
import org.hesse.cli.report.RunFeatures;

/** DIR/report.html of a suite: the study's tables and inline SVG plots; every number is also in DIR/analysis/. */
final class SuiteReport {
  private SuiteReport() {}

  static final List<String> POSITIONS = List.of("first", "middle", "last");

  static String render(SuiteAnalysis.Result r) {
    StringBuilder h = new StringBuilder(1 << 16);
    long ds = r.rows().stream().map(SuiteAnalysis.Row::dataset).distinct().count();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hesse suite: the layer-wise Hessian study</title>\n")
        .append("<style>body{font-family:sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}table{border-collapse:collapse;margin:0.5em 0}")
        .append("td,th{border:1px solid #ccc;padding:2px 6px;font-size:0.85em;text-align:right}th.l,td.l{text-align:left}")
        .append(".plots{display:flex;flex-wrap:wrap;gap:8px}.muted{color:#666}</style></head><body>\n");
    h.append("<h1>The layer-wise Hessian study</h1>\n<p>").append(r.rows().size()).append(" finished runs over ").append(ds)
        .append(" data sets").append(r.failed() > 0 ? " (" + r.failed() + " runs failed: see their run.json)" : "").append(". ")
        .append(esc(SuiteAnalysis.PROTOCOL)).append(". Every number of this page is in <code>analysis/</code> (CSV and JSON).</p>\n");

    h.append("<h2>Does the Hessian add value? Cross-validated AUROC per feature family</h2>\n<p>Leave-datasets-out (")
        .append(SuiteAnalysis.FOLDS).append(" folds of whole data sets); in each fold the family's best feature and its direction are ")
        .append("chosen on the other folds. 0.5 = chance. Families: <b>hessian</b> (per-layer Hessian spectra), <b>weights</b> ")
        .append("(data-free: weight-matrix stable rank and power-law α), <b>curves</b> (training loss and accuracy only), <b>size</b> ")
        .append("(the parameter count and parameters per training sample: what a user knows without any spectrum), <b>curves+hessian</b> ")
        .append("(the best curve feature and the best Hessian feature combined by logistic regression fitted on the training folds: ")
        .append("the Hessian's value beyond the training curves), <b>size+hessian</b> (the same beyond the parameter count).</p>\n<table><tr><th class=\"l\">question</th>");
    List<String> fams = SuiteAnalysis.FAMILIES;
    for (String f : fams) h.append("<th>").append(f).append("</th>");
    h.append("</tr>\n");
    for (String t : SuiteAnalysis.TASKS) {
      h.append("<tr><td class=\"l\">").append(t).append("</td>");
      for (String f : fams) {
        double v = Double.NaN;
        for (SuiteAnalysis.Family x : r.families()) if (x.task().equals(t) && x.family().equals(f)) v = x.cvAuroc();
        h.append("<td>").append(f2(v)).append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2>Calibrated diagnostics</h2>\n<table><tr><th class=\"l\">rule</th><th class=\"l\">fires when</th><th>supported</th>")
        .append("<th>CV detection</th><th>CV false alarm</th><th>CV AUROC</th><th>held-out detection</th><th>held-out false alarm</th>")
        .append("<th class=\"l\">held-out data sets</th></tr>\n");
    for (SuiteAnalysis.RuleFit f : r.rules()) {
      Calibration.Rule c = f.rule();
      h.append("<tr><td class=\"l\">").append(esc(c.id())).append("</td><td class=\"l\">").append(esc(c.condition())).append("</td><td>")
          .append(c.supported()).append("</td><td>").append(f2(c.cvDetectionRate())).append("</td><td>").append(f2(c.cvFalseAlarmRate()))
          .append("</td><td>").append(f2(c.cvAuroc())).append("</td><td>").append(f2(f.holdoutDetection())).append("</td><td>")
          .append(f2(f.holdoutFalseAlarm())).append("</td><td class=\"l\">").append(esc(String.join(", ", f.holdoutDatasets())))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2>Rank correlation with the generalisation gap and test error, by relative depth</h2>\n<div class=\"plots\">\n");
    List<String> metrics = new ArrayList<>(RunFeatures.LAYER_METRICS);
    metrics.addAll(List.of("stable_rank", "spectral_entropy", "outliers"));
    for (String target : List.of("gap", "test error")) {
      List<String> rowNames = new ArrayList<>();
      List<double[]> vals = new ArrayList<>();
      for (String m : metrics) {
        for (String when : List.of("final", "early")) {
          rowNames.add(m + " (" + when + ")");
          double[] v = new double[3];
          for (int j = 0; j < 3; j++) v[j] = rho(r, RunFeatures.HESSIAN + "." + POSITIONS.get(j) + "." + m + "." + when, target);
          vals.add(v);
        }
      }
      for (String m : List.of("stable_rank", "alpha")) {
        rowNames.add("weights " + m);
        double[] v = new double[3];
        for (int j = 0; j < 3; j++) v[j] = rho(r, SuiteAnalysis.WEIGHTS + "." + POSITIONS.get(j) + "." + m + ".final", target);
        vals.add(v);
      }
      figure(h, Plots.matrix("Spearman ρ with the " + target, rowNames.subList(0, Math.min(12, rowNames.size())), POSITIONS,
          vals.subList(0, Math.min(12, vals.size())).toArray(double[][]::new)));
      if (rowNames.size() > 12) {
        figure(h, Plots.matrix("Spearman ρ with the " + target + " (cont.)", rowNames.subList(12, rowNames.size()), POSITIONS,
            vals.subList(12, vals.size()).toArray(double[][]::new)));
      }
    }
    h.append("</div>\n");

    h.append("<h2>Which layer carries the signal</h2>\n<table><tr><th class=\"l\">layer</th><th>mean |ρ gap|</th><th>max |ρ gap|</th>");
    for (String t : SuiteAnalysis.TASKS) h.append("<th>best CV AUROC ").append(t).append("</th>");
    h.append("</tr>\n");
    for (String line : SuiteAnalysis.layers(r).lines().skip(1).toList()) {
      String[] v = line.split(",", -1);
      h.append("<tr><td class=\"l\">").append(v[0]).append("</td>");
      for (int i = 1; i < v.length; i++) h.append("<td>").append(v[i].isEmpty() ? "–" : f2(Double.parseDouble(v[i]))).append("</td>");
      h.append("</tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2>Strongest correlates of the gap (all families)</h2>\n<table><tr><th class=\"l\">feature</th><th>n</th><th>ρ gap</th>")
        .append("<th>95% CI (bootstrap over data sets)</th><th>ρ test error</th><th>95% CI</th><th>mean within-data-set ρ gap</th>")
        .append("<th>95% CI</th></tr>\n");
    List<SuiteAnalysis.Correlation> cs = new ArrayList<>(r.correlations());
    cs.removeIf(c -> !Double.isFinite(c.rhoGap()));
    cs.sort(Comparator.comparingDouble((SuiteAnalysis.Correlation c) -> -Math.abs(c.rhoGap())));
    for (SuiteAnalysis.Correlation c : cs.subList(0, Math.min(20, cs.size()))) {
      h.append("<tr><td class=\"l\">").append(esc(c.feature())).append("</td><td>").append(c.n()).append("</td><td>").append(f2(c.rhoGap()))
          .append("</td><td>[").append(f2(c.ciGap()[0])).append(", ").append(f2(c.ciGap()[1])).append("]</td><td>").append(f2(c.rhoErr()))
          .append("</td><td>[").append(f2(c.ciErr()[0])).append(", ").append(f2(c.ciErr()[1])).append("]</td><td>").append(f2(c.withinGap()))
          .append("</td><td>[").append(f2(c.ciWithin()[0])).append(", ").append(f2(c.ciWithin()[1])).append("]</td></tr>\n");
    }
    h.append("</table>\n");

    h.append("<h2>Metric vs gap per capacity class</h2>\n<div class=\"plots\">\n");
    List<String> shown = new ArrayList<>();
    for (SuiteAnalysis.Correlation c : cs) {
      if (c.feature().startsWith(RunFeatures.HESSIAN + ".") && shown.size() < 2) shown.add(c.feature());
    }
    for (String f : List.of("hessian.last.lambda_max.final", "hessian.first.trace.final")) if (!shown.contains(f)) shown.add(f);
    for (String f : shown) {
      List<Plots.Series> ss = new ArrayList<>();
      for (String cap : SuiteSpec.CAPACITY_CLASSES) {
        List<SuiteAnalysis.Row> rs = r.rows().stream().filter(x -> x.capacity().equals(cap)).toList();
        ss.add(new Plots.Series(cap, rs.stream().mapToDouble(x -> x.features().getOrDefault(f, Double.NaN)).toArray(),
            rs.stream().mapToDouble(SuiteAnalysis.Row::gap).toArray()));
      }
      figure(h, Plots.scatter(f + " vs gap", f + (xLog(ss) ? " (log scale)" : ""), "generalisation gap", ss,
          xLog(ss) ? Plots.Scale.LOG : Plots.Scale.LINEAR, Plots.Scale.LINEAR));
    }
    h.append("</div>\n");

    h.append("<h2>ROC curves (held-out scores of each family's best single feature)</h2>\n<div class=\"plots\">\n");
    for (String t : SuiteAnalysis.TASKS) {
      List<SuiteAnalysis.Row> sub = SuiteAnalysis.subset(r.rows(), t);
      boolean[] y = SuiteAnalysis.truth(sub, t);
      int[] fold = SuiteAnalysis.folds(sub.stream().map(SuiteAnalysis.Row::dataset).toArray(String[]::new));
      List<Plots.Series> ss = new ArrayList<>();
      for (String fam : List.of(RunFeatures.HESSIAN, SuiteAnalysis.WEIGHTS, RunFeatures.CURVES, SuiteAnalysis.SIZE)) {
        SuiteAnalysis.Auroc best = null;
        for (SuiteAnalysis.Auroc a : r.aurocs()) {
          if (a.task().equals(t) && a.feature().startsWith(fam + ".") && Double.isFinite(a.cv()) && (best == null || a.cv() > best.cv())) best = a;
        }
        if (best == null) continue;
        double[][] roc = Stats.roc(SuiteAnalysis.cvScores(SuiteAnalysis.column(sub, best.feature()), y, fold), y);
        ss.add(new Plots.Series(String.format(Locale.ROOT, "%s %.2f", fam, best.cv()), col(roc, 0), col(roc, 1)));
      }
      ss.add(new Plots.Series("chance", new double[] {0, 1}, new double[] {0, 1}));
      figure(h, Plots.lines(t, "false-alarm rate", "detection rate", ss, Plots.Scale.LINEAR, Plots.Scale.LINEAR));
    }
    h.append("</div>\n");

    h.append("<h2>Spectra evolution per data set (λ_max of the last layer)</h2>\n<div class=\"plots\">\n");
    for (String d : r.rows().stream().map(SuiteAnalysis.Row::dataset).distinct().toList()) {
      List<Plots.Series> ss = new ArrayList<>();
      for (SuiteAnalysis.Row row : r.rows()) {
        if (!row.dataset().equals(d)) continue;
        List<RunData.Checkpoint> cps = row.checkpoints();
        double[] x = new double[cps.size()];
        double[] y = new double[cps.size()];
        for (int i = 0; i < cps.size(); i++) {
          x[i] = cps.get(i).epoch();
          List<RunData.LayerPoint> ls = cps.get(i).layers();
          y[i] = ls.get(ls.size() - 1).lambdaMax();
        }
        ss.add(new Plots.Series(row.capacity() + (row.noise() > 0 ? " noisy" : "") + (row.seed() != 0 ? " s" + row.seed() : ""), x, y));
      }
      figure(h, Plots.lines(d, "epoch", "λ_max (last layer)", ss));
    }
    h.append("</div>\n<p class=\"muted\">Files: analysis/runs.csv (every feature of every run), correlations.csv, auroc.csv, families.csv, ")
        .append("rules.csv, layers.csv, calibration.json, analysis.json; each run's own report in runs/ID/report.html.</p>\n</body></html>\n");
    return h.toString();
  }

  static double rho(SuiteAnalysis.Result r, String feature, String target) {
    for (SuiteAnalysis.Correlation c : r.correlations()) {
      if (c.feature().equals(feature)) return target.equals("gap") ? c.rhoGap() : c.rhoErr();
    }
    return Double.NaN;
  }

  static boolean xLog(List<Plots.Series> ss) {
    List<Plots.Series> swapped = ss.stream().map(s -> new Plots.Series(s.name(), s.y(), s.x())).toList();
    return Plots.scaleFor(swapped) == Plots.Scale.LOG;
  }

  static double[] col(double[][] a, int j) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i][j];
    return out;
  }

  static void figure(StringBuilder h, String svg) {
    h.append("<figure>").append(svg).append("</figure>\n");
  }

  static String f2(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "–";
  }

  static String esc(String s) {
    return HtmlReport.esc(s);
  }
}
