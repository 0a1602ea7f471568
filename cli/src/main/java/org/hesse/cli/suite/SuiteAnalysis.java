package org.hesse.cli.suite;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.hesse.cli.AnalyzeFiles;
import org.hesse.cli.report.Calibration;
import org.hesse.cli.report.Diagnostics;
import org.hesse.cli.report.RunData;
import org.hesse.cli.report.RunFeatures;
import org.hesse.io.AtomicFiles;

/**
 * The study's analysis of a suite directory's finished runs (docs/study.md states the method):
 * <ul>
 *   <li>features per run: the Hessian's per-layer metrics ({@link RunFeatures}, plus stable rank, spectral entropy
 *   and outlier count from spectra.json) at the final and the early checkpoint and as trends; the data-free baseline
 *   ({@link WeightSpectra}: stable rank and power-law α of each weight matrix); the training-curve baseline;</li>
 *   <li>Spearman's ρ of every feature with the final generalisation gap (all runs) and test error (classification
 *   runs), with percentile bootstrap intervals over data sets;</li>
 *   <li>AUROC of every feature for three questions with a known answer: memorisation (label noise 0.4 vs 0,
 *   classification), under-parameterised vs the rest, over-parameterised vs the rest; cross-validated by leaving
 *   data sets out ({@value #FOLDS} folds of whole data sets; the direction of a feature is chosen on the training
 *   folds), and per feature family with the best feature chosen inside each fold;</li>
 *   <li>the calibration of the diagnostics: per question, the (feature, direction, threshold) with the best
 *   Youden's J among the Hessian features a single run can compute, with detection and false-alarm rates from the
 *   same leave-datasets-out folds (selection included), and a separate check on a fifth of the data sets held out.</li>
 * </ul>
 * Outputs: DIR/analysis/{runs,correlations,auroc,families,layers,rules}.csv, analysis.json, calibration.json and
 * DIR/report.html.
 */
public final class SuiteAnalysis {
  private SuiteAnalysis() {}

  public static final int FOLDS = 5;
  static final long FOLD_SEED = 0x57D7L;
  static final String WEIGHTS = "weights";
  static final String SIZE = "size";
  /** The questions with a known answer. */
  public static final List<String> TASKS = List.of("memorisation", "under_parameterised", "over_parameterised");

  /** One finished run: its description and every feature. */
  public record Row(String id, String dataset, String task, String capacity, double noise, long seed, double paramsPerSample,
                    double trainLoss, double valLoss, double gap, double testError, Map<String, Double> features,
                    Path dir, List<RunData.Checkpoint> checkpoints) {
    boolean classification() {
      return "classification".equals(task);
    }
  }

  /**
   * A feature's Spearman ρ with the gap and the test error over all runs (pooled), with bootstrap intervals over data
   * sets; and the mean of the within-data-set ρ with the gap (data sets with ≥ 4 runs), which no difference between
   * data sets can drive.
   */
  public record Correlation(String feature, int n, double rhoGap, double[] ciGap, int nErr, double rhoErr, double[] ciErr,
                            double withinGap, double[] ciWithin) {}

  public record Auroc(String task, String feature, int positives, int negatives, double inSample, double cv, double[] ci) {}

  public record Family(String task, String family, double cvAuroc, List<String> chosen) {}

  public record RuleFit(Calibration.Rule rule, double holdoutDetection, double holdoutFalseAlarm, int holdoutRuns,
                        List<String> holdoutDatasets) {}

  public record Result(Path dir, List<Row> rows, List<String> features, List<Correlation> correlations, List<Auroc> aurocs,
                       List<Family> families, List<RuleFit> rules, Calibration calibration, int failed, String summary) {}

  /** Analyses DIR's finished runs and writes the tables and the report. */
  public static Result run(Path dir) throws IOException {
    Path runs = dir.resolve(SuiteRunner.RUNS);
    if (!Files.isDirectory(runs)) throw new IllegalArgumentException("--analyze: " + runs + " not found; expected a directory hesse suite wrote");
    List<Row> rows = new ArrayList<>();
    int failed = 0;
    List<Path> dirs;
    try (Stream<Path> s = Files.list(runs)) {
      dirs = s.filter(Files::isDirectory).sorted().toList();
    }
    for (Path d : dirs) {
      Path marker = d.resolve(SuiteRunner.MARKER);
      if (!Files.isRegularFile(marker)) continue;
      JsonNode m = SuiteRunner.JSON.readTree(marker.toFile());
      if (!"complete".equals(m.path("status").asText())) {
        failed++;
        continue;
      }
      rows.add(row(d, m));
    }
    if (rows.isEmpty()) throw new IllegalArgumentException("--analyze: " + runs + " holds no finished run");
    JsonNode suite = SuiteRunner.JSON.readTree(dir.resolve(SuiteRunner.SUITE_FILE).toFile());
    Result r = analyse(dir, rows, failed, suite.path("name").asText("suite"), suite.path("version").asInt(1));
    write(r);
    return r;
  }

  static Row row(Path d, JsonNode m) throws IOException {
    List<RunData.Checkpoint> cps = AnalyzeFiles.readRun(d);
    List<Map<String, Object>> raw = AnalyzeFiles.readCheckpoints(d);
    Map<String, Double> f = new LinkedHashMap<>();
    for (RunFeatures.Feature x : RunFeatures.of(cps)) f.put(x.name(), x.value());
    // metrics spectra.json stores besides those a single run's diagnostics use
    int n = cps.get(cps.size() - 1).layers().size();
    Map<String, Object> fin = raw.get(raw.size() - 1);
    Map<String, Object> early = null;
    for (Map<String, Object> c : raw) {
      if (((Number) c.get("epoch")).intValue() > 0 && c != fin) {
        early = c;
        break;
      }
    }
    for (String metric : List.of("stable_rank", "spectral_entropy", "outliers")) {
      for (int li = 0; li < n; li++) {
        String pos = RunFeatures.position(li, n);
        if (pos == null) continue;
        f.put(RunFeatures.HESSIAN + "." + pos + "." + metric + ".final", num(AnalyzeFiles.layers(fin).get(li).get(metric)));
        f.put(RunFeatures.HESSIAN + "." + pos + "." + metric + ".early",
            early == null ? Double.NaN : num(AnalyzeFiles.layers(early).get(li).get(metric)));
      }
    }
    List<double[]> w = WeightSpectra.of(d.resolve("model.safetensors"));
    for (int li = 0; li < w.size(); li++) {
      String pos = RunFeatures.position(li, w.size());
      if (pos == null) continue;
      f.put(WEIGHTS + "." + pos + ".stable_rank.final", w.get(li)[0]);
      f.put(WEIGHTS + "." + pos + ".alpha.final", w.get(li)[1]);
    }
    // the size baseline: what the user knows without any spectrum
    f.put(SIZE + ".run.params.final", m.get("params").asDouble());
    f.put(SIZE + ".run.params_per_sample.final", m.get("params_per_sample").asDouble());
    RunData.Checkpoint last = cps.get(cps.size() - 1);
    boolean cls = "classification".equals(m.get("task").asText());
    return new Row(m.get("id").asText(), m.get("dataset").asText(), m.get("task").asText(), m.get("capacity").asText(),
        m.get("label_noise").asDouble(), m.get("seed").asLong(), m.get("params_per_sample").asDouble(), last.trainLoss(),
        last.valLoss(), last.gap(), cls ? 1 - last.valAccuracy() : Double.NaN, f, d, cps);
  }

  private static double num(Object o) {
    return o instanceof Number x ? x.doubleValue() : Double.NaN;
  }

  static Result analyse(Path dir, List<Row> rows, int failed, String suiteName, int suiteVersion) {
    TreeSet<String> names = new TreeSet<>();
    for (Row r : rows) names.addAll(r.features().keySet());
    List<String> features = new ArrayList<>(names);
    String[] group = rows.stream().map(Row::dataset).toArray(String[]::new);
    double[] gap = rows.stream().mapToDouble(Row::gap).toArray();
    double[] err = rows.stream().mapToDouble(Row::testError).toArray();

    List<Correlation> cors = new ArrayList<>();
    for (String f : features) {
      double[] x = column(rows, f);
      double rg = Stats.spearman(x, gap);
      double[] cg = Stats.bootstrap(group, ix -> Stats.spearman(Stats.pick(x, ix), Stats.pick(gap, ix)), Stats.BOOTSTRAP, Stats.BOOTSTRAP_SEED);
      double re = Stats.spearman(x, err);
      double[] ce = Stats.bootstrap(group, ix -> Stats.spearman(Stats.pick(x, ix), Stats.pick(err, ix)), Stats.BOOTSTRAP, Stats.BOOTSTRAP_SEED);
      double wg = within(x, gap, group, java.util.stream.IntStream.range(0, x.length).toArray());
      double[] cw = Stats.bootstrap(group, ix -> within(x, gap, group, ix), Stats.BOOTSTRAP, Stats.BOOTSTRAP_SEED);
      cors.add(new Correlation(f, pairs(x, gap), rg, cg, pairs(x, err), re, ce, wg, cw));
    }

    int[] fold = folds(group);
    List<Auroc> aurocs = new ArrayList<>();
    List<Family> fams = new ArrayList<>();
    List<RuleFit> fits = new ArrayList<>();
    for (String task : TASKS) {
      List<Row> sub = subset(rows, task);
      boolean[] y = truth(sub, task);
      String[] g = sub.stream().map(Row::dataset).toArray(String[]::new);
      int[] fo = folds(g);
      int pos = 0;
      for (boolean b : y) if (b) pos++;
      for (String f : features) {
        double[] x = column(sub, f);
        double in = Stats.auroc(x, y);
        double[] held = cvScores(x, y, fo);
        double cv = Stats.auroc(held, y);
        double[] ci = Stats.bootstrap(g, ix -> Stats.auroc(Stats.pick(held, ix), Stats.pick(y, ix)), Stats.BOOTSTRAP, Stats.BOOTSTRAP_SEED);
        aurocs.add(new Auroc(task, f, pos, y.length - pos, in, cv, ci));
      }
      for (String family : FAMILIES) {
        if (family.endsWith("+hessian")) {
          fams.add(combinedCv(task, family, sub, y, fo, features));
          continue;
        }
        List<String> cand = features.stream().filter(f -> f.startsWith(family + ".")).toList();
        fams.add(familyCv(task, family, sub, y, fo, cand));
      }
      List<String> ruleCand = features.stream().filter(SuiteAnalysis::diagnosable).toList();
      fits.add(fitRule(task, sub, y, g, fo, ruleCand));
    }
    List<Calibration.Rule> rules = fits.stream().map(RuleFit::rule).toList();
    Calibration cal = new Calibration(suiteName, suiteVersion, rows.size(),
        (int) rows.stream().map(Row::dataset).distinct().count(), PROTOCOL, rules, UNSUPPORTED);
    Result res = new Result(dir, rows, features, cors, aurocs, fams, fits, cal, failed, "");
    return new Result(dir, rows, features, cors, aurocs, fams, fits, cal, failed, summary(res));
  }

  /** The feature families compared; "size" is the parameter count (per sample), known without any spectrum. */
  /**
   * The best feature of a baseline family and the best Hessian feature combined by logistic regression: the Hessian's
   * value beyond that baseline.
   */
  static final String COMBINED = "curves+hessian";
  static final String SIZE_COMBINED = "size+hessian";
  static final List<String> FAMILIES = List.of(RunFeatures.HESSIAN, WEIGHTS, RunFeatures.CURVES, SIZE, COMBINED, SIZE_COMBINED);

  static final String PROTOCOL = "MLPs with two tanh hidden layers of equal width sized to 0.1 / 1 / 10 parameters per training "
      + "sample, SGD with momentum, the suite's epochs; Hessian spectra on a fixed probe set of training rows; see docs/study.md";

  static final List<Calibration.Unsupported> UNSUPPORTED = List.of(
      new Calibration.Unsupported("dead_or_redundant", "Dead or redundant capacity",
          "the suite plants no dead units, so nothing measures this rule; the former hand-set version also fired on well-fitted "
              + "runs (every layer of a digits mlp:256,256 at validation accuracy 0.975). Over-parameterisation is tested instead"),
      new Calibration.Unsupported("saddle_region", "Negative curvature that does not shrink (saddle region)",
          "the suite has no ground truth for saddles; negative mass is analysed as a feature in the study"),
      new Calibration.Unsupported("sharpening_overfitting", "Sharpening while validation loss rises",
          "replaced by the calibrated memorisation rule, whose feature and threshold the suite chose"));

  /** Features a single analyze run can compute (RunFeatures' Hessian features). */
  static boolean diagnosable(String f) {
    if (!f.startsWith(RunFeatures.HESSIAN + ".")) return false;
    String metric = f.split("\\.")[2];
    return RunFeatures.LAYER_METRICS.contains(metric);
  }

  static List<Row> subset(List<Row> rows, String task) {
    return "memorisation".equals(task) ? rows.stream().filter(Row::classification).toList() : rows;
  }

  static boolean[] truth(List<Row> rows, String task) {
    boolean[] y = new boolean[rows.size()];
    for (int i = 0; i < y.length; i++) {
      Row r = rows.get(i);
      y[i] = switch (task) {
        case "memorisation" -> r.noise() > 0;
        case "under_parameterised" -> "under".equals(r.capacity());
        case "over_parameterised" -> "over".equals(r.capacity());
        default -> throw new IllegalArgumentException(task);
      };
    }
    return y;
  }

  static double[] column(List<Row> rows, String f) {
    return rows.stream().mapToDouble(r -> r.features().getOrDefault(f, Double.NaN)).toArray();
  }

  /** Mean over data sets (each drawn occurrence counted) of the Spearman ρ among that data set's runs in {@code rows}. */
  static double within(double[] x, double[] y, String[] group, int[] rows) {
    Map<String, List<Integer>> by = new LinkedHashMap<>();
    // a data set drawn twice by the bootstrap appears as two blocks of the same rows: split them by repetition
    for (int i : rows) {
      String g = group[i];
      int copy = 0;
      String key = g + "#0";
      List<Integer> l = by.get(key);
      while (l != null && l.contains(i)) {
        copy++;
        key = g + "#" + copy;
        l = by.get(key);
      }
      by.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
    }
    double sum = 0;
    int n = 0;
    for (List<Integer> l : by.values()) {
      if (l.size() < 4) continue;
      int[] ix = l.stream().mapToInt(Integer::intValue).toArray();
      double r = Stats.spearman(Stats.pick(x, ix), Stats.pick(y, ix));
      if (Double.isFinite(r)) {
        sum += r;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  static int pairs(double[] x, double[] y) {
    int n = 0;
    for (int i = 0; i < x.length; i++) if (Double.isFinite(x[i]) && Double.isFinite(y[i])) n++;
    return n;
  }

  /** Fold of each run: the data sets in a seeded random order, dealt round-robin into min(FOLDS, data sets) folds. */
  static int[] folds(String[] group) {
    List<String> ds = new ArrayList<>(new TreeSet<>(List.of(group)));
    Collections.shuffle(ds, new java.util.Random(FOLD_SEED));
    int k = Math.min(FOLDS, ds.size());
    int[] f = new int[group.length];
    for (int i = 0; i < group.length; i++) f[i] = ds.indexOf(group[i]) % k;
    return f;
  }

  static int foldCount(int[] fold) {
    int k = 0;
    for (int f : fold) k = Math.max(k, f + 1);
    return k;
  }

  /** Held-out scores: each fold's runs get sign · x with the sign that gives AUROC ≥ ½ on the other folds. */
  static double[] cvScores(double[] x, boolean[] y, int[] fold) {
    double[] out = new double[x.length];
    for (int k = 0; k < foldCount(fold); k++) {
      int[] tr = where(fold, k, false);
      double a = Stats.auroc(Stats.pick(x, tr), Stats.pick(y, tr));
      int sign = !(a < 0.5) ? 1 : -1;
      for (int i = 0; i < x.length; i++) if (fold[i] == k) out[i] = sign * x[i];
    }
    return out;
  }

  static int[] where(int[] fold, int k, boolean in) {
    List<Integer> r = new ArrayList<>();
    for (int i = 0; i < fold.length; i++) if ((fold[i] == k) == in) r.add(i);
    return r.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * A family's cross-validated AUROC: in each fold the feature (and direction) with the largest |AUROC − ½| on the
   * training folds is applied to the held-out fold; the held-out AUROCs are averaged, weighted by their
   * positive × negative pairs (folds lacking a class are skipped).
   */
  static Family familyCv(String task, String family, List<Row> rows, boolean[] y, int[] fold, List<String> cand) {
    double num = 0, den = 0;
    List<String> chosen = new ArrayList<>();
    for (int k = 0; k < foldCount(fold); k++) {
      int[] tr = where(fold, k, false);
      int[] te = where(fold, k, true);
      String best = null;
      double bestA = -1;
      int sign = 1;
      for (String f : cand) {
        double[] x = column(rows, f);
        double a = Stats.auroc(Stats.pick(x, tr), Stats.pick(y, tr));
        if (Double.isFinite(a) && Math.abs(a - 0.5) > bestA) {
          bestA = Math.abs(a - 0.5);
          best = f;
          sign = a >= 0.5 ? 1 : -1;
        }
      }
      if (best == null) continue;
      chosen.add(best);
      double[] x = column(rows, best);
      boolean[] yt = Stats.pick(y, te);
      double[] s = Stats.pick(x, te);
      for (int i = 0; i < s.length; i++) s[i] *= sign;
      double a = Stats.auroc(s, yt);
      if (!Double.isFinite(a)) continue;
      long p = 0;
      for (boolean b : yt) if (b) p++;
      double w = (double) p * (yt.length - p);
      num += w * a;
      den += w;
    }
    return new Family(task, family, den > 0 ? num / den : Double.NaN, chosen);
  }

  /**
   * The Hessian's value beyond a baseline family (curves or size): in each fold, the baseline's best feature and the
   * best Hessian feature
   * (largest |AUROC − ½| on the training folds), each mapped to its empirical CDF over the training folds' runs, are
   * combined by logistic regression fitted on the training folds; its held-out AUROC is averaged as in
   * {@link #familyCv}. Compare with the baseline family alone.
   */
  static Family combinedCv(String task, String family, List<Row> rows, boolean[] y, int[] fold, List<String> features) {
    String base = family.substring(0, family.indexOf('+')) + ".";
    double num = 0, den = 0;
    List<String> chosen = new ArrayList<>();
    for (int k = 0; k < foldCount(fold); k++) {
      int[] tr = where(fold, k, false);
      int[] te = where(fold, k, true);
      String c = best(rows, y, tr, features, base);
      String h = best(rows, y, tr, features, RunFeatures.HESSIAN + ".");
      if (c == null || h == null) continue;
      chosen.add(c + "&" + h);
      double[] xc = column(rows, c), xh = column(rows, h);
      double[] refC = finiteSorted(Stats.pick(xc, tr)), refH = finiteSorted(Stats.pick(xh, tr));
      List<double[]> fx = new ArrayList<>();
      List<Boolean> fy = new ArrayList<>();
      for (int i : tr) {
        if (!Double.isFinite(xc[i]) || !Double.isFinite(xh[i])) continue;
        fx.add(new double[] {cdf(refC, xc[i]), cdf(refH, xh[i])});
        fy.add(y[i]);
      }
      boolean[] yy = new boolean[fy.size()];
      for (int i = 0; i < yy.length; i++) yy[i] = fy.get(i);
      if (yy.length < 4) continue;
      double[] beta = Logistic.fit(fx.toArray(double[][]::new), yy);
      double[] s = new double[te.length];
      boolean[] yt = Stats.pick(y, te);
      for (int j = 0; j < te.length; j++) {
        int i = te[j];
        s[j] = Double.isFinite(xc[i]) && Double.isFinite(xh[i]) ? Logistic.score(beta, new double[] {cdf(refC, xc[i]), cdf(refH, xh[i])}) : Double.NaN;
      }
      double a = Stats.auroc(s, yt);
      if (!Double.isFinite(a)) continue;
      long p = 0;
      for (boolean b : yt) if (b) p++;
      double w = (double) p * (yt.length - p);
      num += w * a;
      den += w;
    }
    return new Family(task, family, den > 0 ? num / den : Double.NaN, chosen);
  }

  /** The feature with the prefix whose AUROC on the rows {@code idx} is farthest from ½. */
  static String best(List<Row> rows, boolean[] y, int[] idx, List<String> features, String prefix) {
    String best = null;
    double bestA = -1;
    for (String f : features) {
      if (!f.startsWith(prefix)) continue;
      double a = Stats.auroc(Stats.pick(column(rows, f), idx), Stats.pick(y, idx));
      if (Double.isFinite(a) && Math.abs(a - 0.5) > bestA) {
        bestA = Math.abs(a - 0.5);
        best = f;
      }
    }
    return best;
  }

  static double[] finiteSorted(double[] a) {
    return java.util.Arrays.stream(a).filter(Double::isFinite).sorted().toArray();
  }

  /** Share of the reference values ≤ v (the empirical CDF). */
  static double cdf(double[] sorted, double v) {
    int lo = 0, hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return sorted.length == 0 ? Double.NaN : (double) lo / sorted.length;
  }

  /** The best (feature, direction, threshold) by Youden's J on these runs, among the candidates. */
  record Choice(String feature, Stats.Threshold t) {}

  static Choice choose(List<Row> rows, boolean[] y, int[] idx, List<String> cand) {
    Choice best = null;
    for (String f : cand) {
      double[] x = Stats.pick(column(rows, f), idx);
      Stats.Threshold t = Stats.youden(x, Stats.pick(y, idx));
      if (t == null) continue;
      if (best == null || t.detectionRate() - t.falseAlarmRate() > best.t().detectionRate() - best.t().falseAlarmRate()) {
        best = new Choice(f, t);
      }
    }
    return best;
  }

  static RuleFit fitRule(String task, List<Row> rows, boolean[] y, String[] group, int[] fold, List<String> cand) {
    int[] all = java.util.stream.IntStream.range(0, rows.size()).toArray();
    // leave-datasets-out: selection and threshold on the other folds, decisions on the held-out one
    long tp = 0, fp = 0, pos = 0, neg = 0;
    double aNum = 0, aDen = 0;
    for (int k = 0; k < foldCount(fold); k++) {
      Choice c = choose(rows, y, where(fold, k, false), cand);
      if (c == null) continue;
      int[] te = where(fold, k, true);
      double[] x = Stats.pick(column(rows, c.feature()), te);
      boolean[] yt = Stats.pick(y, te);
      long p = 0;
      for (int i = 0; i < te.length; i++) {
        boolean fire = c.t().fires(x[i]);
        if (yt[i]) {
          pos++;
          p++;
          if (fire) tp++;
        } else {
          neg++;
          if (fire) fp++;
        }
      }
      double[] s = x.clone();
      for (int i = 0; i < s.length; i++) s[i] *= c.t().sign();
      double a = Stats.auroc(s, yt);
      if (Double.isFinite(a)) {
        double w = (double) p * (te.length - p);
        aNum += w * a;
        aDen += w;
      }
    }
    double det = pos == 0 ? Double.NaN : (double) tp / pos;
    double fa = neg == 0 ? Double.NaN : (double) fp / neg;
    Choice fin = choose(rows, y, all, cand);
    // a separate check: a fifth of the data sets held out of the fit altogether
    List<String> ds = new ArrayList<>(new TreeSet<>(List.of(group)));
    Collections.shuffle(ds, new java.util.Random(FOLD_SEED + 1));
    List<String> held = ds.subList(0, Math.max(1, ds.size() / 5));
    List<Integer> trl = new ArrayList<>(), tel = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) (held.contains(group[i]) ? tel : trl).add(i);
    Choice hc = choose(rows, y, trl.stream().mapToInt(Integer::intValue).toArray(), cand);
    double hd = Double.NaN, hf = Double.NaN;
    int[] te = tel.stream().mapToInt(Integer::intValue).toArray();
    int heldPos = 0;
    for (int i : te) if (y[i]) heldPos++;
    if (hc != null) {
      Stats.Threshold t = Stats.rates(Stats.pick(column(rows, hc.feature()), te), Stats.pick(y, te), hc.t().threshold(), hc.t().sign());
      if (t != null) {
        hd = t.detectionRate();
        hf = t.falseAlarmRate();
      }
    }
    boolean supported = fin != null && det - fa >= Diagnostics.MIN_YOUDEN
        && !worseHeldOut(det, hd, heldPos, false) && !worseHeldOut(fa, hf, te.length - heldPos, true);
    String[] meta = RULES.get(task);
    Calibration.Rule rule = new Calibration.Rule(task, meta[0], meta[1], fin == null ? "none" : fin.feature(),
        fin == null ? 1 : fin.t().sign(), fin == null ? Double.NaN : fin.t().threshold(), det, fa,
        aDen > 0 ? aNum / aDen : Double.NaN, (int) (pos + neg), supported, "memorisation".equals(task), meta[2]);
    return new RuleFit(rule, hd, hf, tel.size(), List.copyOf(held));
  }

  /** Binomial standard errors by which a held-out rate may be worse than the cross-validated one (one-sided 2.5 %). */
  static final double HOLDOUT_Z = 1.96;

  /**
   * Whether a rate measured on the held-out data sets is worse than the cross-validated estimate by more than
   * {@link #HOLDOUT_Z} binomial standard errors sqrt(p(1 − p)/n) at the cross-validated p: a false-alarm rate above
   * it ({@code higherIsWorse}) or a detection rate below it. Such a rule does not carry over to new data sets, so
   * the study does not support it (a rate better than estimated is no reason to distrust the rule).
   */
  static boolean worseHeldOut(double cv, double held, int n, boolean higherIsWorse) {
    if (!(n > 0) || !Double.isFinite(cv) || !Double.isFinite(held)) return false;
    double se = Math.sqrt(Math.max(cv * (1 - cv), 0.25 / n) / n);  // floor: a CV rate of 0 or 1 still has sampling error
    double worse = higherIsWorse ? held - cv : cv - held;
    return worse > HOLDOUT_Z * se;
  }

  static final Map<String, String[]> RULES = Map.of(
      "memorisation", new String[] {"Memorisation of wrong labels (overfitting)",
          "training labels with 40% replaced by a wrong class (label noise 0.4) vs clean labels",
          "The run's spectra resemble those of suite runs that fitted corrupted labels: the network is memorising rather than "
              + "learning a rule that generalises. Check the labels; consider early stopping, weight decay or more data."},
      "under_parameterised", new String[] {"Under-parameterisation",
          "capacity class 'under' (about 0.1 parameters per training sample) vs 'well' and 'over'",
          "The run's spectra resemble those of suite networks far too small for their data: a wider network may fit better."},
      "over_parameterised", new String[] {"Over-parameterisation",
          "capacity class 'over' (about 10 parameters per training sample) vs 'under' and 'well'",
          "The run's spectra resemble those of suite networks with far more parameters than training samples: a narrower "
              + "network may do as well, and regularisation matters more."});

  static String summary(Result r) {
    StringBuilder s = new StringBuilder();
    long ds = r.rows().stream().map(Row::dataset).distinct().count();
    s.append(String.format(Locale.ROOT, "analysis: %d finished runs over %d data sets (%d failed)", r.rows().size(), ds, r.failed()));
    Correlation best = null;
    for (Correlation c : r.correlations()) {
      if (c.feature().startsWith(RunFeatures.HESSIAN) && Double.isFinite(c.rhoGap())
          && (best == null || Math.abs(c.rhoGap()) > Math.abs(best.rhoGap()))) best = c;
    }
    if (best != null) {
      s.append(String.format(Locale.ROOT, "%n  strongest Hessian correlate of the gap: %s, Spearman %.2f [%.2f, %.2f]", best.feature(),
          best.rhoGap(), best.ciGap()[0], best.ciGap()[1]));
    }
    for (String task : TASKS) {
      s.append(String.format(Locale.ROOT, "%n  %s, cross-validated AUROC:", task));
      for (Family f : r.families()) if (f.task().equals(task)) s.append(String.format(Locale.ROOT, " %s %.2f", f.family(), f.cvAuroc()));
    }
    for (RuleFit f : r.rules()) {
      Calibration.Rule c = f.rule();
      s.append(String.format(Locale.ROOT, "%n  rule %s: %s, CV detection %.2f / false alarm %.2f, held-out data sets %.2f / %.2f%s",
          c.id(), c.condition(), c.cvDetectionRate(), c.cvFalseAlarmRate(), f.holdoutDetection(), f.holdoutFalseAlarm(),
          c.supported() ? "" : " (not supported)"));
    }
    s.append(String.format(Locale.ROOT, "%n  -> %s, %s", r.dir().resolve("report.html"), r.dir().resolve("analysis")));
    return s.toString();
  }

  static void write(Result r) throws IOException {
    Path a = r.dir().resolve("analysis");
    Files.createDirectories(a);
    StringBuilder runs = new StringBuilder("id,dataset,task,capacity,label_noise,seed,params_per_sample,train_loss,val_loss,gap,test_error");
    for (String f : r.features()) runs.append(',').append(f);
    runs.append('\n');
    for (Row row : r.rows()) {
      runs.append(String.join(",", row.id(), row.dataset(), row.task(), row.capacity(), n(row.noise()), String.valueOf(row.seed()),
          n(row.paramsPerSample()), n(row.trainLoss()), n(row.valLoss()), n(row.gap()), n(row.testError())));
      for (String f : r.features()) runs.append(',').append(n(row.features().getOrDefault(f, Double.NaN)));
      runs.append('\n');
    }
    AtomicFiles.writeString(a.resolve("runs.csv"), runs.toString());
    StringBuilder c = new StringBuilder("feature,family,layer,metric,when,n_gap,spearman_gap,ci_low_gap,ci_high_gap,n_test_error,"
        + "spearman_test_error,ci_low_test_error,ci_high_test_error,within_dataset_spearman_gap,ci_low_within,ci_high_within\n");
    for (Correlation x : r.correlations()) {
      c.append(x.feature()).append(',').append(String.join(",", x.feature().split("\\."))).append(',').append(x.n()).append(',')
          .append(n(x.rhoGap())).append(',').append(n(x.ciGap()[0])).append(',').append(n(x.ciGap()[1])).append(',').append(x.nErr())
          .append(',').append(n(x.rhoErr())).append(',').append(n(x.ciErr()[0])).append(',').append(n(x.ciErr()[1])).append(',')
          .append(n(x.withinGap())).append(',').append(n(x.ciWithin()[0])).append(',').append(n(x.ciWithin()[1])).append('\n');
    }
    AtomicFiles.writeString(a.resolve("correlations.csv"), c.toString());
    StringBuilder au = new StringBuilder("task,feature,family,layer,metric,when,positives,negatives,auroc_in_sample,auroc_cv,ci_low_cv,ci_high_cv\n");
    for (Auroc x : r.aurocs()) {
      au.append(x.task()).append(',').append(x.feature()).append(',').append(String.join(",", x.feature().split("\\."))).append(',')
          .append(x.positives()).append(',').append(x.negatives()).append(',').append(n(x.inSample())).append(',').append(n(x.cv()))
          .append(',').append(n(x.ci()[0])).append(',').append(n(x.ci()[1])).append('\n');
    }
    AtomicFiles.writeString(a.resolve("auroc.csv"), au.toString());
    StringBuilder fa = new StringBuilder("task,family,cv_auroc,features_chosen_per_fold\n");
    for (Family x : r.families()) fa.append(x.task()).append(',').append(x.family()).append(',').append(n(x.cvAuroc())).append(',')
        .append(String.join(" ", x.chosen())).append('\n');
    AtomicFiles.writeString(a.resolve("families.csv"), fa.toString());
    StringBuilder ru = new StringBuilder("rule,feature,sign,threshold,supported,cv_detection_rate,cv_false_alarm_rate,cv_auroc,cv_runs,"
        + "holdout_detection_rate,holdout_false_alarm_rate,holdout_runs,holdout_datasets\n");
    for (RuleFit x : r.rules()) {
      Calibration.Rule k = x.rule();
      ru.append(k.id()).append(',').append(k.feature()).append(',').append(k.sign()).append(',').append(n(k.threshold())).append(',')
          .append(k.supported()).append(',').append(n(k.cvDetectionRate())).append(',').append(n(k.cvFalseAlarmRate())).append(',')
          .append(n(k.cvAuroc())).append(',').append(k.cvRuns()).append(',').append(n(x.holdoutDetection())).append(',')
          .append(n(x.holdoutFalseAlarm())).append(',').append(x.holdoutRuns()).append(',').append(String.join(" ", x.holdoutDatasets()))
          .append('\n');
    }
    AtomicFiles.writeString(a.resolve("rules.csv"), ru.toString());
    AtomicFiles.writeString(a.resolve("layers.csv"), layers(r));
    AtomicFiles.writeString(a.resolve("calibration.json"), SuiteRunner.JSON.writeValueAsString(r.calibration().toJson()) + "\n");
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("summary", r.summary());
    j.put("runs", r.rows().size());
    j.put("failed_runs", r.failed());
    j.put("datasets", r.rows().stream().map(Row::dataset).distinct().toList());
    j.put("families", r.families());
    j.put("rules", r.rules().stream().map(x -> Map.of("rule", x.rule().id(), "holdout_detection_rate", String.valueOf(x.holdoutDetection()),
        "holdout_false_alarm_rate", String.valueOf(x.holdoutFalseAlarm()), "holdout_runs", x.holdoutRuns(),
        "holdout_datasets", x.holdoutDatasets())).toList());
    j.put("calibration", r.calibration().toJson());
    j.put("files", List.of("runs.csv", "correlations.csv", "auroc.csv", "families.csv", "rules.csv", "layers.csv", "calibration.json"));
    AtomicFiles.writeString(a.resolve("analysis.json"), SuiteRunner.JSON.writeValueAsString(j) + "\n");
    AtomicFiles.writeString(r.dir().resolve("report.html"), SuiteReport.render(r));
  }

  /**
   * Which layer carries the signal: per layer position and Hessian metric family, the mean |Spearman ρ| with the
   * gap over the Hessian features of that layer, and per question the best cross-validated AUROC of its features.
   */
  static String layers(Result r) {
    StringBuilder b = new StringBuilder("layer,mean_abs_spearman_gap,max_abs_spearman_gap");
    for (String t : TASKS) b.append(",best_cv_auroc_").append(t);
    b.append('\n');
    for (String pos : List.of("first", "middle", "last")) {
      double sum = 0, max = 0;
      int n = 0;
      for (Correlation c : r.correlations()) {
        String[] p = c.feature().split("\\.");
        if (!p[0].equals(RunFeatures.HESSIAN) || !p[1].equals(pos) || !Double.isFinite(c.rhoGap())) continue;
        sum += Math.abs(c.rhoGap());
        max = Math.max(max, Math.abs(c.rhoGap()));
        n++;
      }
      if (n == 0) continue;
      b.append(pos).append(',').append(n(sum / n)).append(',').append(n(max));
      for (String t : TASKS) {
        double best = Double.NaN;
        for (Auroc a : r.aurocs()) {
          String[] p = a.feature().split("\\.");
          if (a.task().equals(t) && p[0].equals(RunFeatures.HESSIAN) && p[1].equals(pos) && Double.isFinite(a.cv())
              && !(a.cv() <= best)) best = a.cv();
        }
        b.append(',').append(n(best));
      }
      b.append('\n');
    }
    return b.toString();
  }

  static String n(double v) {
    return Double.isFinite(v) ? String.valueOf(v) : "";
  }
}
