package org.hesse.cli.report;

import java.util.List;

/** The data of an analysed training run, as the report and the diagnostics read it (NaN = not available). */
public final class RunData {
  private RunData() {}

  /** One epoch of the training history (epoch 0 = initialisation). */
  public record EpochPoint(int epoch, double trainLoss, double valLoss, double trainAccuracy, double valAccuracy) {}

  /**
   * One layer's spectrum at one checkpoint. {@code zeroFraction} is the share of the spectrum (eigenvalue count,
   * SLQ-weighted) with |λ| ≤ {@link Diagnostics#ZERO_RELATIVE} · max|λ|; NaN without a whole-spectrum estimate.
   * {@code nodes}/{@code weights}: the spectrum as weighted points, per SLQ probe (each probe's weights sum to one),
   * or one row of all eigenvalues with equal weights for a full spectrum; null when neither was computed.
   * {@code traceStandardError}: the Hutch++ estimate's standard error (NaN for an exact trace or when not stored).
   */
  public record LayerPoint(String name, String type, int params, double trace, double lambdaMax, double lambdaMin,
                           double effectiveRank, double conditionNumber, double negativeFraction,
                           double negativeMass, double zeroFraction, String metricsSource, double[] top,
                           double[][] nodes, double[][] weights, double traceStandardError) {
    /** Without a trace standard error. */
    public LayerPoint(String name, String type, int params, double trace, double lambdaMax, double lambdaMin,
                      double effectiveRank, double conditionNumber, double negativeFraction, double negativeMass,
                      double zeroFraction, String metricsSource, double[] top, double[][] nodes, double[][] weights) {
      this(name, type, params, trace, lambdaMax, lambdaMin, effectiveRank, conditionNumber, negativeFraction, negativeMass,
          zeroFraction, metricsSource, top, nodes, weights, Double.NaN);
    }
  }

  /** Everything measured at one checkpoint; the layers in network order. */
  public record Checkpoint(int epoch, double trainLoss, double valLoss, double trainAccuracy, double valAccuracy,
                           List<LayerPoint> layers) {
    /** Generalisation gap: validation loss − training loss (NaN without validation data). */
    public double gap() {
      return valLoss - trainLoss;
    }

    public LayerPoint layer(String name) {
      for (LayerPoint l : layers) if (l.name().equals(name)) return l;
      return null;
    }
  }

  /** One triggered diagnostic: which rule, on which layer, and the numbers that triggered it. */
  public record Finding(String rule, String layer, String title, String evidence) {}
}
