package org.hesse.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.Finding;

/**
 * Diagnostics of a run's per-layer spectra, calibrated on the study ({@code hesse suite}, docs/study.md). Each rule
 * is a threshold on one {@link RunFeatures} feature, fitted on suite runs whose answer is known (training labels made
 * 40% wrong: memorisation; the capacity classes: under- and over-parameterised) and stored as data with the suite's
 * version ({@link Calibration}); every finding prints the rule's detection rate and false-alarm rate measured on data
 * sets held out of the fit. A rule whose cross-validated rates do not clear {@link #MIN_YOUDEN} is reported as not
 * supported and never fires; rules with no ground truth in the study (dead units, saddles) are listed as unsupported.
 *
 * <p>The rates hold for runs like the suite's (MLPs, tanh, SGD, the suite's epochs and checkpoint spacing; see
 * docs/study.md); the trend features compare the last checkpoint with the first after initialisation.
 */
public final class Diagnostics {
  private Diagnostics() {}

  /** A rule is supported when its cross-validated detection rate − false-alarm rate is at least this. */
  public static final double MIN_YOUDEN = 0.2;

  /** How the rules are labelled in the report and diagnostics.json. */
  public static final String CALIBRATION = Calibration.current().label();

  /** Kept for diagnostics.json's "trend_window": the trend features compare two checkpoints. */
  public static final int WINDOW = 2;
  /** |λ| ≤ ZERO_RELATIVE · max|λ| counts as zero (for the zero fraction). */
  public static final double ZERO_RELATIVE = 1e-3;

  /** The rules as printed in the report and diagnostics.json: id, name, condition, reading, calibration. */
  public static List<Map<String, String>> rules() {
    Calibration cal = Calibration.current();
    List<Map<String, String>> r = new ArrayList<>();
    for (Calibration.Rule c : cal.rules()) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("id", c.id());
      m.put("name", c.name());
      m.put("condition", "fires when " + c.condition() + (c.classificationOnly() ? " (classification runs only)" : "")
          + "; ground truth: " + c.groundTruth());
      m.put("reading", c.reading());
      m.put("calibration", (c.supported() ? "supported: " : String.format(Locale.ROOT, "NOT supported by the study "
          + "(detection − false alarm < %.2f), never fires: ", MIN_YOUDEN)) + c.rates() + "; " + cal.label());
      r.add(m);
    }
    for (Calibration.Unsupported u : cal.unsupported()) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("id", u.id());
      m.put("name", u.name());
      m.put("condition", "not evaluated");
      m.put("reading", u.reason());
      m.put("calibration", "unsupported by the study: " + u.reason());
      r.add(m);
    }
    return r;
  }

  /**
   * Evaluates every supported rule on the run.
   *
   * @param cps       checkpoints in epoch order, every one with the same layers
   * @param dataRank  N·C' of the probe set (unused by the calibrated rules; kept for the report)
   */
  public static List<Finding> evaluate(List<Checkpoint> cps, long dataRank) {
    return evaluate(cps, Calibration.current());
  }

  /** The findings of the rules of {@code cal}. */
  static List<Finding> evaluate(List<Checkpoint> cps, Calibration cal) {
    List<Finding> out = new ArrayList<>();
    if (cps.size() < 2) return out;
    List<RunFeatures.Feature> fs = RunFeatures.of(cps);
    boolean classification = Double.isFinite(cps.get(cps.size() - 1).trainAccuracy());
    for (Calibration.Rule r : cal.rules()) {
      if (!r.supported() || (r.classificationOnly() && !classification)) continue;
      double v = RunFeatures.value(fs, r.feature());
      if (!r.fires(v)) continue;
      out.add(new Finding(r.id(), layerOf(r.feature(), cps), r.name(), String.format(Locale.ROOT,
          "%s = %.4g (rule: %s); on the suite this rule has %s", r.feature(), v, r.condition(), r.rates())));
    }
    return out;
  }

  /** The layer a feature is about (its name in the run), or "all" for a run-level feature. */
  static String layerOf(String feature, List<Checkpoint> cps) {
    String pos = feature.split("\\.")[1];
    List<RunData.LayerPoint> ls = cps.get(cps.size() - 1).layers();
    int li = RunFeatures.index(pos, ls.size());
    return li < 0 ? "all" : ls.get(li).name();
  }

  /** Per rule: whether it fired, did not fire, or could not be evaluated (and why). */
  public record Status(String rule, String state) {}

  /** The state of every rule, so that silence is never read as health. */
  public static List<Status> statuses(List<Checkpoint> cps, List<Finding> findings) {
    return statuses(cps, findings, Calibration.current());
  }

  static List<Status> statuses(List<Checkpoint> cps, List<Finding> findings, Calibration cal) {
    List<Status> out = new ArrayList<>();
    List<RunFeatures.Feature> fs = cps.isEmpty() ? List.of() : RunFeatures.of(cps);
    boolean classification = !cps.isEmpty() && Double.isFinite(cps.get(cps.size() - 1).trainAccuracy());
    for (Calibration.Rule r : cal.rules()) {
      String state;
      double v = RunFeatures.value(fs, r.feature());
      if (!r.supported()) {
        state = "not supported by the study (" + r.rates() + "): not applied";
      } else if (cps.size() < 2) {
        state = "not evaluated: needs ≥ 2 checkpoints, the run has " + cps.size();
      } else if (r.classificationOnly() && !classification) {
        state = "not evaluated: calibrated on classification runs only";
      } else if (!Double.isFinite(v)) {
        state = "not evaluated: " + r.feature() + " is not available in this run";
      } else if (findings.stream().anyMatch(f -> f.rule().equals(r.id()))) {
        state = String.format(Locale.ROOT, "fired: %s = %.4g (%s)", r.feature(), v, r.condition());
      } else {
        state = String.format(Locale.ROOT, "did not fire: %s = %.4g (fires when %s)", r.feature(), v, r.condition());
      }
      out.add(new Status(r.id(), state));
    }
    for (Calibration.Unsupported u : cal.unsupported()) {
      out.add(new Status(u.id(), "not evaluated: unsupported by the study (" + u.reason() + ")"));
    }
    return out;
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
