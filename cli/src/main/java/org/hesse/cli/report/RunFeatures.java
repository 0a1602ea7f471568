package org.hesse.cli.report;

import java.util.ArrayList;
import java.util.List;
import org.hesse.cli.report.RunData.Checkpoint;
import org.hesse.cli.report.RunData.LayerPoint;

/**
 * Numbers describing one analysed run, computed from its checkpoints alone: the features the study correlates with
 * generalisation and the calibrated diagnostics test. One definition, used by both ({@code hesse suite}'s analysis
 * and {@link Diagnostics}), so a threshold fitted on the suite means the same in a single run.
 *
 * <p>Layers are named by relative depth: {@code first} (the input layer), {@code middle} (index ⌊(L−1)/2⌋, when
 * L ≥ 3) and {@code last} (the output layer). "final" is the last checkpoint, "early" the first after
 * initialisation; a trend is the ratio final / early. Hessian metrics per layer: λ_max, the trace, the effective
 * rank as a fraction of the layer's parameters, the negative mass, the condition number, the zero fraction and the
 * outlier ratio λ_max / (trace / P) (how far the top eigenvalue stands out of the mean: the density's shape).
 * Curve features (the training-curve baseline, no Hessian): the training loss and accuracy at the end and the
 * training loss at the end over its value at initialisation.
 */
public final class RunFeatures {
  private RunFeatures() {}

  public static final String HESSIAN = "hessian";
  public static final String CURVES = "curves";

  /** One feature: family (hessian, curves), layer position (or "run"), metric, when (final, early, trend). */
  public record Feature(String family, String layer, String metric, String when, double value) {
    public String name() {
      return family + "." + layer + "." + metric + "." + when;
    }
  }

  /** The metrics per layer, in table order. */
  public static final List<String> LAYER_METRICS = List.of("lambda_max", "trace", "effective_rank_fraction", "negative_mass",
      "condition_number", "zero_fraction", "outlier_ratio");
  /** Metrics that also get a trend (final / early). */
  public static final List<String> TREND_METRICS = List.of("lambda_max", "trace");

  /** The layer positions of a network of {@code n} parametrised layers: index → "first", "middle", "last" or null. */
  public static String position(int li, int n) {
    if (li == n - 1) return "last";
    if (li == 0) return "first";
    if (n >= 3 && li == (n - 1) / 2) return "middle";
    return null;
  }

  /** The layer index of a position in a network of {@code n} layers (−1 when it has none). */
  public static int index(String position, int n) {
    for (int li = 0; li < n; li++) if (position.equals(position(li, n))) return li;
    return -1;
  }

  public static double metric(LayerPoint l, String m) {
    switch (m) {
      case "lambda_max": return l.lambdaMax();
      case "trace": return l.trace();
      case "effective_rank_fraction": return l.effectiveRank() / l.params();
      case "negative_mass": return l.negativeMass();
      case "condition_number": return l.conditionNumber();
      case "zero_fraction": return l.zeroFraction();
      case "outlier_ratio": return l.trace() > 0 ? l.lambdaMax() / (l.trace() / l.params()) : Double.NaN;
      default: throw new IllegalArgumentException("unknown layer metric " + m);
    }
  }

  /** Every feature of a run (NaN where the evidence is missing, e.g. no early checkpoint). */
  public static List<Feature> of(List<Checkpoint> cps) {
    List<Feature> out = new ArrayList<>();
    if (cps.isEmpty()) return out;
    Checkpoint fin = cps.get(cps.size() - 1);
    Checkpoint early = null;
    for (Checkpoint c : cps) {
      if (c.epoch() > 0 && c != fin) {
        early = c;
        break;
      }
    }
    int n = fin.layers().size();
    for (int li = 0; li < n; li++) {
      String pos = position(li, n);
      if (pos == null) continue;
      LayerPoint f = fin.layers().get(li);
      LayerPoint e = early == null ? null : early.layer(f.name());
      for (String m : LAYER_METRICS) {
        out.add(new Feature(HESSIAN, pos, m, "final", metric(f, m)));
        out.add(new Feature(HESSIAN, pos, m, "early", e == null ? Double.NaN : metric(e, m)));
      }
      for (String m : TREND_METRICS) {
        double a = e == null ? Double.NaN : metric(e, m);
        double b = metric(f, m);
        out.add(new Feature(HESSIAN, pos, m, "trend", a > 0 && b > 0 ? b / a : Double.NaN));
      }
    }
    Checkpoint init = cps.get(0);
    out.add(new Feature(CURVES, "run", "train_loss", "final", fin.trainLoss()));
    out.add(new Feature(CURVES, "run", "train_accuracy", "final", fin.trainAccuracy()));
    out.add(new Feature(CURVES, "run", "train_loss_ratio", "final",
        cps.size() >= 2 && init.trainLoss() > 0 ? fin.trainLoss() / init.trainLoss() : Double.NaN));
    return out;
  }

  /** The value of the feature named {@code name} (NaN when the run has none). */
  public static double value(List<Feature> fs, String name) {
    for (Feature f : fs) if (f.name().equals(name)) return f.value();
    return Double.NaN;
  }
}
