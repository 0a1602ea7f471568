package org.hesse.cli.suite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * The study's statistics. Spearman's ρ with average ranks for ties (commons-math); AUROC as the Mann–Whitney
 * statistic (ties count one half); percentile bootstrap over data sets (whole data sets resampled with replacement,
 * so runs of one data set stay together); a threshold by Youden's J. Pairs with a non-finite value are left out.
 */
public final class Stats {
  private Stats() {}

  /** Bootstrap resamples of the confidence intervals. */
  public static final int BOOTSTRAP = 1000;
  public static final long BOOTSTRAP_SEED = 20261206L;

  /** Spearman's rank correlation of the finite pairs; NaN with fewer than 3 pairs or a constant side. */
  public static double spearman(double[] x, double[] y) {
    List<double[]> p = finitePairs(x, y);
    if (p.size() < 3) return Double.NaN;
    double[] a = p.stream().mapToDouble(v -> v[0]).toArray();
    double[] b = p.stream().mapToDouble(v -> v[1]).toArray();
    if (constant(a) || constant(b)) return Double.NaN;
    return new SpearmansCorrelation(new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE)).correlation(a, b);
  }

  /**
   * Area under the ROC curve of {@code score} for {@code positive}: P(score of a positive > score of a negative)
   * + ½ P(equal), from average ranks; NaN without both classes among the finite scores.
   */
  public static double auroc(double[] score, boolean[] positive) {
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < score.length; i++) if (Double.isFinite(score[i])) keep.add(i);
    int n = keep.size();
    if (n < 2) return Double.NaN;
    double[] s = new double[n];
    for (int i = 0; i < n; i++) s[i] = score[keep.get(i)];
    double[] r = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE).rank(s);
    long pos = 0;
    double rankSum = 0;
    for (int i = 0; i < n; i++) {
      if (positive[keep.get(i)]) {
        pos++;
        rankSum += r[i];
      }
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) return Double.NaN;
    return (rankSum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /** The ROC curve: (false-positive rate, true-positive rate) at every distinct threshold, from (0,0) to (1,1). */
  public static double[][] roc(double[] score, boolean[] positive) {
    Integer[] idx = new Integer[score.length];
    int n = 0;
    for (int i = 0; i < score.length; i++) if (Double.isFinite(score[i])) idx[n++] = i;
    Integer[] o = Arrays.copyOf(idx, n);
    Arrays.sort(o, (a, b) -> Double.compare(score[b], score[a]));
    long pos = 0;
    for (Integer i : o) if (positive[i]) pos++;
    long neg = n - pos;
    List<double[]> pts = new ArrayList<>();
    pts.add(new double[] {0, 0});
    long tp = 0, fp = 0;
    for (int k = 0; k < n; k++) {
      if (positive[o[k]]) tp++;
      else fp++;
      if (k == n - 1 || score[o[k + 1]] != score[o[k]]) {
        pts.add(new double[] {neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos});
      }
    }
    return pts.toArray(double[][]::new);
  }

  /** A decision rule on one score: fires when {@code sign · score ≥ sign · threshold}. */
  public record Threshold(double threshold, int sign, double detectionRate, double falseAlarmRate) {
    public boolean fires(double v) {
      return Double.isFinite(v) && sign * v >= sign * threshold;
    }
  }

  /**
   * The threshold and direction maximising Youden's J = detection rate − false-alarm rate on these runs; candidate
   * thresholds are midpoints between consecutive distinct scores. Null without both classes.
   */
  public static Threshold youden(double[] score, boolean[] positive) {
    double[] d = Arrays.stream(score).filter(Double::isFinite).distinct().sorted().toArray();
    if (d.length < 2) return null;
    Threshold best = null;
    for (int sign : new int[] {1, -1}) {
      for (int i = 0; i + 1 < d.length; i++) {
        double t = (d[i] + d[i + 1]) / 2;
        Threshold c = rates(score, positive, t, sign);
        if (c == null) return null;
        if (best == null || c.detectionRate() - c.falseAlarmRate() > best.detectionRate() - best.falseAlarmRate()) best = c;
      }
    }
    return best;
  }

  /** Detection and false-alarm rates of a rule on these runs (null without both classes). */
  public static Threshold rates(double[] score, boolean[] positive, double t, int sign) {
    long pos = 0, neg = 0, tp = 0, fp = 0;
    for (int i = 0; i < score.length; i++) {
      if (!Double.isFinite(score[i])) continue;
      boolean fire = sign * score[i] >= sign * t;
      if (positive[i]) {
        pos++;
        if (fire) tp++;
      } else {
        neg++;
        if (fire) fp++;
      }
    }
    if (pos == 0 || neg == 0) return null;
    return new Threshold(t, sign, (double) tp / pos, (double) fp / neg);
  }

  /** A statistic of the runs selected by index (a resample may repeat runs). */
  public interface Statistic {
    double of(int[] rows);
  }

  /**
   * Percentile bootstrap interval [2.5%, 97.5%] over groups: each resample draws as many groups as there are, with
   * replacement, and takes all runs of each drawn group; resamples whose statistic is NaN are left out.
   */
  public static double[] bootstrap(String[] group, Statistic stat, int resamples, long seed) {
    List<String> names = new ArrayList<>(new java.util.TreeSet<>(Arrays.asList(group)));
    List<List<Integer>> rowsOf = new ArrayList<>();
    for (String g : names) {
      List<Integer> r = new ArrayList<>();
      for (int i = 0; i < group.length; i++) if (group[i].equals(g)) r.add(i);
      rowsOf.add(r);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] vals = new double[resamples];
    int m = 0;
    for (int b = 0; b < resamples; b++) {
      List<Integer> rows = new ArrayList<>();
      for (int k = 0; k < names.size(); k++) rows.addAll(rowsOf.get(rnd.nextInt(names.size())));
      double v = stat.of(rows.stream().mapToInt(Integer::intValue).toArray());
      if (Double.isFinite(v)) vals[m++] = v;
    }
    if (m < resamples / 2) return new double[] {Double.NaN, Double.NaN};
    double[] v = Arrays.copyOf(vals, m);
    Arrays.sort(v);
    return new double[] {quantile(v, 0.025), quantile(v, 0.975)};
  }

  /** Linear-interpolation quantile of sorted values (type 7). */
  static double quantile(double[] sorted, double q) {
    double h = (sorted.length - 1) * q;
    int lo = (int) Math.floor(h);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
  }

  static double[] pick(double[] a, int[] rows) {
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) out[i] = a[rows[i]];
    return out;
  }

  static boolean[] pick(boolean[] a, int[] rows) {
    boolean[] out = new boolean[rows.length];
    for (int i = 0; i < rows.length; i++) out[i] = a[rows[i]];
    return out;
  }

  private static List<double[]> finitePairs(double[] x, double[] y) {
    List<double[]> p = new ArrayList<>();
    for (int i = 0; i < x.length; i++) if (Double.isFinite(x[i]) && Double.isFinite(y[i])) p.add(new double[] {x[i], y[i]});
    return p;
  }

  private static boolean constant(double[] a) {
    for (double v : a) if (v != a[0]) return false;
    return true;
  }
}
