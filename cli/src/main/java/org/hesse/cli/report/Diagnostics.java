package org.hesse.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.Finding;
import org.hesse.cli.report.RunData.LayerPoint;

/**
 * Heuristic diagnostics of a run's per-layer spectra. They are rules of thumb, not tests, and uncalibrated: every
 * threshold is a hand-picked named constant here, not yet checked against runs whose answer is known (the report
 * and diagnostics.json say so, from {@link #CALIBRATION}, and print each rule with its thresholds from
 * {@link #rules()}). Each finding comes with the numbers that made it fire; a rule whose evidence is missing is
 * reported as not evaluated ({@link #statuses}), never as a clean bill. Trend rules look at the last
 * {@link #WINDOW} checkpoints.
 *
 * <p>Fit evidence. A small Hessian is what a well-fitted net has: near interpolation (training loss → 0) the
 * per-sample output Hessians vanish, so most eigenvalues are tiny relative to λ_max, and the relative negative
 * mass of a near-zero spectrum says little. So rule 2 (dead capacity) fires only when the fit is also poor (the
 * training loss is still ≥ {@link #HIGH_LOSS_FRACTION} × its value at the first checkpoint), and rule 4 (saddle)
 * not at all near interpolation (training loss ≤ {@link #INTERPOLATION_FRACTION} × its first value). Both need at
 * least two checkpoints to see the fit.
 *
 * <p>Rank bound: a layer block of P parameters evaluated on N probe samples has Gauss-Newton rank at most
 * min(P, N·C'), C' = outputs − 1 for softmax cross-entropy (each sample's output Hessian diag(p) − ppᵀ has rank
 * C − 1) and outputs for mse. Rule 2 compares a layer's rank to that bound, not to P, so that a wide layer on a
 * small data set is not called dead only because the data cannot excite more directions.
 */
public final class Diagnostics {
  private Diagnostics() {}

  /** How every finding and rule is labelled in the report and diagnostics.json. */
  public static final String CALIBRATION = "uncalibrated heuristic (thresholds hand-picked; see issue 'study')";

  /** Checkpoints a trend rule looks at (the last ones). */
  public static final int WINDOW = 3;
  /** |λ| ≤ ZERO_RELATIVE · max|λ| counts as zero (for the zero fraction). */
  public static final double ZERO_RELATIVE = 1e-3;
  /** Rule 1: λ_max or trace at the last checkpoint ≥ (1 + SHARPENING_RISE) × its value WINDOW−1 checkpoints earlier. */
  public static final double SHARPENING_RISE = 0.10;
  /** Rule 1: validation loss at the last checkpoint ≥ (1 + VAL_LOSS_RISE) × its minimum over all checkpoints. */
  public static final double VAL_LOSS_RISE = 0.05;
  /** Rule 2: non-zero eigenvalues fewer than DEAD_FRACTION × the rank bound → spectrum almost all zero. */
  public static final double DEAD_FRACTION = 0.05;
  /** Rule 2: effective rank below REDUNDANT_FRACTION × the rank bound → redundant capacity. */
  public static final double REDUNDANT_FRACTION = 0.01;
  /** Rule 3: training loss fell by less than STALL_RELATIVE (relative) over the window. */
  public static final double STALL_RELATIVE = 0.01;
  /**
   * Rules 2 and 3: the fit is poor while the training loss at the last checkpoint is still at least
   * HIGH_LOSS_FRACTION × its value at the first checkpoint.
   */
  public static final double HIGH_LOSS_FRACTION = 0.25;
  /** Rule 3: λ_max at most SMALL_LAMBDA_MAX (absolute; losses of order one: cross-entropy, mse on standardised targets). */
  public static final double SMALL_LAMBDA_MAX = 0.1;
  /** Rule 3: λ_max changed by less than FLAT_CHANGE (relative) over the window. */
  public static final double FLAT_CHANGE = 0.10;
  /** Rule 4: negative mass (Σ|λ<0| / Σ|λ|) at least NEGATIVE_MASS_MIN at every checkpoint of the window ... */
  public static final double NEGATIVE_MASS_MIN = 0.05;
  /** Rule 4: ... and at the last checkpoint at least (1 − NEGATIVE_SHRINK) × its value at the window's start. */
  public static final double NEGATIVE_SHRINK = 0.20;
  /** Rule 4 is not applied near interpolation: training loss ≤ INTERPOLATION_FRACTION × its first-checkpoint value. */
  public static final double INTERPOLATION_FRACTION = 0.01;

  public static final String SHARPENING = "sharpening_overfitting";
  public static final String DEAD = "dead_or_redundant";
  public static final String UNDER = "under_parameterised";
  public static final String SADDLE = "saddle_region";

  /** The rules as printed in the report and diagnostics.json: id, name, condition, reading. */
  public static List<Map<String, String>> rules() {
    List<Map<String, String>> r = new ArrayList<>();
    r.add(rule(SHARPENING, "Sharpening while validation loss rises (overfitting)",
        String.format(Locale.ROOT, "On the late layers (the last half of the parametrised layers): λ_max or the trace at "
            + "the last checkpoint ≥ (1 + %.2f) × its value %d checkpoints earlier, and the validation loss at the last "
            + "checkpoint ≥ (1 + %.2f) × its minimum over all checkpoints and above its value at the window's start.",
            SHARPENING_RISE, WINDOW - 1, VAL_LOSS_RISE),
        "The loss surface of the late layers is getting sharper while the model generalises worse: the network is "
            + "fitting the training set's idiosyncrasies. Consider early stopping, weight decay or more data."));
    r.add(rule(DEAD, "Dead or redundant capacity",
        String.format(Locale.ROOT, "At the last checkpoint: non-zero eigenvalues (|λ| > %.0e · max|λ|) fewer than %.2f × the "
            + "rank bound min(P, N·C'), or effective rank below %.2f × the rank bound; and the fit is poor: the training "
            + "loss at the last checkpoint ≥ %.2f × its value at the first checkpoint (a small Hessian of a well-fitted "
            + "net is expected near interpolation, not a defect). Needs ≥ 2 checkpoints and an SLQ or full spectrum.",
            ZERO_RELATIVE, DEAD_FRACTION, REDUNDANT_FRACTION, HIGH_LOSS_FRACTION),
        "Few parameter directions of the layer change the loss: units are saturated or dead, or many are copies of "
            + "each other. The layer could be narrower, or needs a different initialisation or activation."));
    r.add(rule(UNDER, "Flat, small spectrum with stalled training loss (under-parameterisation)",
        String.format(Locale.ROOT, "The training loss fell by less than %.0f%% over the last %d checkpoints while still ≥ %.2f × "
            + "its value at the first checkpoint, and the layer's λ_max is ≤ %.2g and changed by less than %.0f%% over the "
            + "window.", 100 * STALL_RELATIVE, WINDOW, HIGH_LOSS_FRACTION, SMALL_LAMBDA_MAX, 100 * FLAT_CHANGE),
        "Training has stopped improving although the fit is poor, and the layer's curvature offers no direction to "
            + "exploit: the model may be too small for the task (or the learning rate too small)."));
    r.add(rule(SADDLE, "Negative curvature that does not shrink (saddle region)",
        String.format(Locale.ROOT, "The negative mass Σ_{λ<0}|λ| / Σ|λ| is ≥ %.2f at each of the last %d checkpoints, and at the "
            + "last one ≥ (1 − %.2f) × its value at the window's start; not applied near interpolation (training loss at "
            + "the last checkpoint ≤ %.2f × its value at the first: a near-zero loss is a minimum of a loss bounded below).",
            NEGATIVE_MASS_MIN, WINDOW, NEGATIVE_SHRINK, INTERPOLATION_FRACTION),
        "The optimiser is lingering near a saddle rather than in a minimum: more epochs, a larger learning rate or "
            + "momentum may help it escape."));
    return r;
  }

  private static Map<String, String> rule(String id, String name, String condition, String reading) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("name", name);
    m.put("condition", condition);
    m.put("reading", reading);
    m.put("calibration", CALIBRATION);
    return m;
  }

  /**
   * Evaluates every rule on every layer.
   *
   * @param cps       checkpoints in epoch order, every one with the same layers
   * @param dataRank  N·C' of the probe set (see the class comment)
   */
  public static List<Finding> evaluate(List<Checkpoint> cps, long dataRank) {
    List<Finding> out = new ArrayList<>();
    if (cps.isEmpty()) return out;
    Checkpoint last = cps.get(cps.size() - 1);
    int nLayers = last.layers().size();
    boolean trend = cps.size() >= WINDOW;
    Checkpoint start = trend ? cps.get(cps.size() - WINDOW) : null;
    double fit = fitRatio(cps);
    for (int li = 0; li < nLayers; li++) {
      LayerPoint l = last.layers().get(li);
      boolean late = li >= nLayers / 2;
      if (trend && late) sharpening(cps, start, last, l, out);
      if (fit >= HIGH_LOSS_FRACTION) dead(l, dataRank, fit, out);
      if (trend) under(cps, start, last, l, out);
      if (trend && fit > INTERPOLATION_FRACTION) saddle(cps, l, out);
    }
    return out;
  }

  /** Training loss at the last checkpoint over its value at the first; NaN with fewer than two checkpoints. */
  static double fitRatio(List<Checkpoint> cps) {
    if (cps.size() < 2) return Double.NaN;
    double first = cps.get(0).trainLoss();
    double last = cps.get(cps.size() - 1).trainLoss();
    return first > 0 ? last / first : Double.NaN;
  }

  /** Per rule: whether it fired, did not fire, or could not be evaluated (and why). */
  public record Status(String rule, String state) {}

  /**
   * The state of every rule after {@link #evaluate}: "fired on layer(s) …", "did not fire (…)", or "not evaluated:
   * …" naming the missing evidence, so that silence is never read as health.
   */
  public static List<Status> statuses(List<Checkpoint> cps, List<Finding> findings) {
    List<Status> out = new ArrayList<>();
    int n = cps.size();
    boolean trend = n >= WINDOW;
    double fit = fitRatio(cps);
    Checkpoint last = n == 0 ? null : cps.get(n - 1);
    boolean val = last != null && Double.isFinite(last.valLoss());
    boolean spectrum = last != null && last.layers().stream().anyMatch(l -> !Double.isNaN(l.zeroFraction()) || !Double.isNaN(l.effectiveRank()));
    boolean negMass = last != null && last.layers().stream().anyMatch(l -> !Double.isNaN(l.negativeMass()));
    String window = String.format(Locale.ROOT, "not evaluated: needs ≥ %d checkpoints, the run has %d", WINDOW, n);
    String fitText = Double.isNaN(fit) ? "" : String.format(Locale.ROOT, "training loss at the last checkpoint = %.3g × its first value", fit);
    out.add(status(SHARPENING, findings, !trend ? window : !val ? "not evaluated: no validation loss" : null, ""));
    out.add(status(DEAD, findings, n < 2 ? "not evaluated: needs ≥ 2 checkpoints to judge the fit, the run has " + n
        : !spectrum ? "not evaluated: no SLQ or full spectrum" : null,
        Double.isNaN(fit) || fit >= HIGH_LOSS_FRACTION ? fitText
            : fitText + String.format(Locale.ROOT, " < %.2f: the fit is good, a small Hessian is expected", HIGH_LOSS_FRACTION)));
    out.add(status(UNDER, findings, !trend ? window : null, ""));
    out.add(status(SADDLE, findings, !trend ? window : !negMass ? "not evaluated: no negative mass (needs SLQ or a full spectrum)"
        : fit <= INTERPOLATION_FRACTION ? String.format(Locale.ROOT, "not applied: near interpolation (%s ≤ %.2f)", fitText, INTERPOLATION_FRACTION)
        : null, ""));
    return out;
  }

  private static Status status(String rule, List<Finding> findings, String notEvaluated, String note) {
    if (notEvaluated != null) return new Status(rule, notEvaluated);
    List<String> layers = new ArrayList<>();
    for (Finding f : findings) if (f.rule().equals(rule)) layers.add(f.layer());
    if (!layers.isEmpty()) return new Status(rule, "fired on layer(s) " + String.join(", ", layers));
    return new Status(rule, "did not fire" + (note.isEmpty() ? "" : " (" + note + ")"));
  }

  private static void sharpening(List<Checkpoint> cps, Checkpoint start, Checkpoint last, LayerPoint l, List<Finding> out) {
    double minVal = Double.POSITIVE_INFINITY;
    for (Checkpoint c : cps) if (c.valLoss() < minVal) minVal = c.valLoss();
    boolean valRises = last.valLoss() >= (1 + VAL_LOSS_RISE) * minVal && last.valLoss() > start.valLoss();
    if (!valRises) return;
    LayerPoint s = start.layer(l.name());
    if (s == null) return;
    String what = null;
    double a = Double.NaN, b = Double.NaN;
    if (s.lambdaMax() > 0 && l.lambdaMax() >= (1 + SHARPENING_RISE) * s.lambdaMax()) {
      what = "λ_max";
      a = s.lambdaMax();
      b = l.lambdaMax();
    } else if (s.trace() > 0 && l.trace() >= (1 + SHARPENING_RISE) * s.trace()) {
      what = "trace";
      a = s.trace();
      b = l.trace();
    }
    if (what == null) return;
    out.add(new Finding(SHARPENING, l.name(), "Sharpening while validation loss rises",
        String.format(Locale.ROOT, "%s rose from %.4g (epoch %d) to %.4g (epoch %d), +%.0f%%; validation loss %.4g at epoch %d "
            + "vs minimum %.4g (+%.0f%%), gap %.4g", what, a, start.epoch(), b, last.epoch(), 100 * (b / a - 1),
            last.valLoss(), last.epoch(), minVal, 100 * (last.valLoss() / minVal - 1), last.gap())));
  }

  private static void dead(LayerPoint l, long dataRank, double fit, List<Finding> out) {
    long bound = Math.min(l.params(), dataRank);
    double nonZero = Double.isNaN(l.zeroFraction()) ? Double.NaN : (1 - l.zeroFraction()) * l.params();
    boolean zeroes = nonZero < DEAD_FRACTION * bound;
    boolean lowRank = l.effectiveRank() < REDUNDANT_FRACTION * bound;
    if (!zeroes && !lowRank) return;
    out.add(new Finding(DEAD, l.name(), zeroes ? "Spectrum almost all zero (dead capacity)" : "Effective rank far below the layer's size (redundant capacity)",
        String.format(Locale.ROOT, "%d parameters, rank bound %d; non-zero eigenvalues ≈ %.1f (%.1f%% of the bound), effective rank "
            + "%.2f (%.2f%% of the bound), metrics from %s; training loss at the last checkpoint %.3g × its first value "
            + "(poor fit)", l.params(), bound, nonZero, 100 * nonZero / bound,
            l.effectiveRank(), 100 * l.effectiveRank() / bound, l.metricsSource(), fit)));
  }

  private static void under(List<Checkpoint> cps, Checkpoint start, Checkpoint last, LayerPoint l, List<Finding> out) {
    double first = cps.get(0).trainLoss();
    double drop = (start.trainLoss() - last.trainLoss()) / start.trainLoss();
    boolean stalled = drop < STALL_RELATIVE && last.trainLoss() >= HIGH_LOSS_FRACTION * first;
    if (!stalled) return;
    LayerPoint s = start.layer(l.name());
    if (s == null) return;
    double change = Math.abs(l.lambdaMax() - s.lambdaMax()) / Math.max(Math.abs(s.lambdaMax()), Double.MIN_NORMAL);
    if (!(l.lambdaMax() <= SMALL_LAMBDA_MAX && change < FLAT_CHANGE)) return;
    out.add(new Finding(UNDER, l.name(), "Flat, small spectrum with stalled training loss",
        String.format(Locale.ROOT, "training loss %.4g → %.4g over epochs %d–%d (%.2f%% drop), %.0f%% of its initial %.4g; "
            + "λ_max %.4g → %.4g (%.1f%% change)", start.trainLoss(), last.trainLoss(), start.epoch(), last.epoch(),
            100 * drop, 100 * last.trainLoss() / first, first, s.lambdaMax(), l.lambdaMax(), 100 * change)));
  }

  private static void saddle(List<Checkpoint> cps, LayerPoint l, List<Finding> out) {
    StringBuilder series = new StringBuilder();
    double first = Double.NaN;
    double lastMass = Double.NaN;
    for (int i = cps.size() - WINDOW; i < cps.size(); i++) {
      LayerPoint p = cps.get(i).layer(l.name());
      if (p == null || !(p.negativeMass() >= NEGATIVE_MASS_MIN)) return;
      if (Double.isNaN(first)) first = p.negativeMass();
      lastMass = p.negativeMass();
      if (series.length() > 0) series.append(", ");
      series.append(String.format(Locale.ROOT, "%.3f (epoch %d)", p.negativeMass(), cps.get(i).epoch()));
    }
    if (!(lastMass >= (1 - NEGATIVE_SHRINK) * first)) return;
    out.add(new Finding(SADDLE, l.name(), "Negative curvature that does not shrink",
        "negative mass " + series + "; negative fraction " + String.format(Locale.ROOT, "%.3f", l.negativeFraction())));
  }

  /**
   * Share of a spectrum with |λ| ≤ {@link #ZERO_RELATIVE} · max|λ|, from SLQ nodes and weights (each probe's
   * weights sum to one) or from a whole spectrum (weights null).
   */
  public static double zeroFraction(double[][] nodes, double[][] weights) {
    double max = 0;
    for (double[] t : nodes) for (double v : t) max = Math.max(max, Math.abs(v));
    if (max == 0) return 1.0;
    double cut = ZERO_RELATIVE * max;
    double zero = 0;
    double total = 0;
    for (int p = 0; p < nodes.length; p++) {
      for (int i = 0; i < nodes[p].length; i++) {
        double w = weights == null ? 1.0 : weights[p][i];
        total += w;
        if (Math.abs(nodes[p][i]) <= cut) zero += w;
      }
    }
    return total > 0 ? zero / total : Double.NaN;
  }
}
