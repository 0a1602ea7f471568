package org.hesse.hvp.monitor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One-sided (upward) CUSUM on a layer's trace series, for a memorisation alarm: the curvature of a layer rising
 * persistently faster than it did early in the run.
 *
 * <p>The statistic runs on log-trace increments {@code x_i = ln t_i − ln t_{i−1}} (scale-free across layers and
 * networks). The first {@code window} increments are the reference: their mean μ and sample standard deviation σ.
 * Every later increment is standardised, {@code u = (x − μ)/σ}, and {@code S ← max(0, S + u − k)}; the alarm is
 * raised the first time {@code S > h} (and latched). An increment with a non-positive or non-finite trace at
 * either end has no logarithm: it is skipped (S unchanged), and the next one too, since it starts there.
 *
 * <p>The threshold h sets the false-alarm rate; {@link #calibrate} picks it from clean runs (see there), and
 * {@code cusum-threshold.properties} holds the value calibrated on bundled data sets and how it was obtained.
 */
public final class Cusum {
  /** Reference window (increments), allowance k (in reference standard deviations) and threshold h. */
  public record Settings(int window, double k, double h) {
    public Settings {
      if (window < 2) throw new IllegalArgumentException("window: expected >= 2 increments, got " + window);
      if (!(k >= 0) || Double.isInfinite(k)) throw new IllegalArgumentException("k: expected a finite value >= 0, got " + k);
      if (!(h > 0)) throw new IllegalArgumentException("h: expected a value > 0, got " + h);
    }
  }

  private final Settings s;
  private final double[] reference;
  private int seen;  // increments taken
  private double last = Double.NaN;  // ln of the previous trace
  private double mu;
  private double sigma;
  private double stat;
  private double max;
  private boolean alarmed;

  public Cusum(Settings s) {
    this.s = s;
    this.reference = new double[s.window()];
  }

  /** Feeds the next trace; true exactly once, at the value that first takes the statistic above h. */
  public boolean feed(double trace) {
    double ln = trace > 0 && Double.isFinite(trace) ? Math.log(trace) : Double.NaN;
    double x = ln - last;
    last = ln;
    return Double.isNaN(x) ? false : feedIncrement(x);
  }

  /** Feeds a log-trace increment directly. */
  boolean feedIncrement(double x) {
    if (seen < s.window()) {
      reference[seen++] = x;
      if (seen == s.window()) {
        mu = Arrays.stream(reference).average().orElseThrow();
        double ss = 0;
        for (double r : reference) ss += (r - mu) * (r - mu);
        // a flat reference would make every later wiggle infinite: floor σ far below any real spread
        sigma = Math.max(Math.sqrt(ss / (s.window() - 1)), 1e-12 * (1 + Math.abs(mu)));
      }
      return false;
    }
    seen++;
    stat = Math.max(0, stat + (x - mu) / sigma - s.k());
    max = Math.max(max, stat);
    if (!alarmed && stat > s.h()) {
      alarmed = true;
      return true;
    }
    return false;
  }

  /** The current statistic S (0 during the reference window). */
  public double statistic() { return stat; }

  public boolean alarmed() { return alarmed; }

  public Settings settings() { return s; }

  /** The largest S over the increments fed after the window. */
  double maxStatistic() { return max; }

  /**
   * The threshold h at which a fraction {@code alpha} of clean series of {@code horizon} monitored increments
   * (after the window) raises an alarm. Each of {@code replicates} synthetic clean series draws one of the
   * {@code clean} trace series at random and resamples its log-trace increments with replacement (window +
   * horizon of them), so every replicate goes through the same reference-window estimate as a real run; h is
   * the (1 − alpha) quantile of the replicates' largest statistic, since a series alarms iff its largest S
   * exceeds h. Resampling keeps each clean run's spread but not its autocorrelation or trend: check the result
   * against the clean series themselves ({@link #alarms}).
   */
  public static double calibrate(List<double[]> clean, int window, double k, int horizon, double alpha,
                                 int replicates, long seed) {
    if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("alpha: expected 0 < alpha < 1, got " + alpha);
    List<double[]> increments = new ArrayList<>();
    for (double[] t : clean) {
      double[] inc = increments(t);
      if (inc.length >= 2) increments.add(inc);
    }
    if (increments.isEmpty()) {
      throw new IllegalArgumentException("clean: expected at least one series with 3 positive traces, got none");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    double[] maxima = new double[replicates];
    for (int r = 0; r < replicates; r++) {
      double[] inc = increments.get(rng.nextInt(increments.size()));
      Cusum c = new Cusum(new Settings(window, k, Double.POSITIVE_INFINITY));
      for (int i = 0; i < window + horizon; i++) c.feedIncrement(inc[rng.nextInt(inc.length)]);
      maxima[r] = c.maxStatistic();
    }
    Arrays.sort(maxima);
    return maxima[Math.min(replicates - 1, (int) Math.ceil((1 - alpha) * replicates) - 1)];
  }

  /** How many of the series raise an alarm under these settings. */
  public static int alarms(List<double[]> series, Settings s) {
    int a = 0;
    for (double[] t : series) {
      Cusum c = new Cusum(s);
      for (double v : t) c.feed(v);
      if (c.alarmed()) a++;
    }
    return a;
  }

  /** The finite log-trace increments of a trace series (pairs with a non-positive end dropped). */
  static double[] increments(double[] t) {
    double[] out = new double[Math.max(0, t.length - 1)];
    int m = 0;
    for (int i = 1; i < t.length; i++) {
      double x = Math.log(t[i]) - Math.log(t[i - 1]);
      if (t[i] > 0 && t[i - 1] > 0 && Double.isFinite(x)) out[m++] = x;
    }
    return Arrays.copyOf(out, m);
  }
}
