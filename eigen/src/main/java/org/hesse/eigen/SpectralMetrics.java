package org.hesse.eigen;

import java.util.Arrays;

/**
 * Scalar summaries of a spectrum, computed from a full spectrum ({@code source = "full"}) or from SLQ nodes and
 * weights ({@code source = "slq"}): never from a Gaussian-smoothed density (which pushes half of a spike at zero
 * below zero) and never from the top-k eigenvalues alone. An SLQ estimate treats node θ_i of probe p as
 * c_i = n·τ_i/n_v eigenvalues equal to θ_i (so the c_i sum to n); counts are then fractional. From SLQ,
 * λ_max and λ_min are the extreme Ritz values, which lie inside [λ_min, λ_max] and converge to them quickly
 * with m; the smallest |λ| above the cut-off (hence the condition numbers) is only as good as the smallest
 * Ritz value, which converges slowly unless that end of the spectrum is isolated: prefer ARPACK for it.
 *
 * <p>Definitions (λ ranging over the eigenvalues with multiplicity, c = the zero cut-off):
 * <ul>
 *   <li>zeroCutoff: |λ| ≤ c counts as zero; default n·ε·max|λ|.</li>
 *   <li>conditionNumber = max|λ| / min{|λ| : |λ| > c}; conditionNumberPositive = λ_max / min{λ : λ > c}
 *       (NaN when no eigenvalue is above the cut-off).</li>
 *   <li>negativeCount = #{λ &lt; −c}, negativeFraction = negativeCount / n,
 *       negativeMass = Σ_{λ&lt;−c}|λ| / Σ|λ|.</li>
 *   <li>spectralEntropy H = −Σ p log p with p = |λ|/Σ|λ| (nats); effectiveRank = exp(H) (Roy &amp; Vetterli 2007);
 *       both 0 for the zero matrix.</li>
 *   <li>stableRank = Σλ² / max λ² = ‖A‖F²/‖A‖2² (0 for the zero matrix).</li>
 *   <li>Outliers: among the non-zero eigenvalues (|λ| > c, so that a spike at zero does not collapse the bulk),
 *       the bulk is [Q1 − 3·IQR, Q3 + 3·IQR] (Tukey's "far out" fences on the multiplicity-weighted quartiles);
 *       outliers counts the eigenvalues outside it.</li>
 * </ul>
 */
public record SpectralMetrics(String source, int n, double zeroCutoff, double lambdaMax, double lambdaMin,
                              double trace, double conditionNumber, double conditionNumberPositive,
                              double negativeCount, double negativeFraction, double negativeMass,
                              double effectiveRank, double stableRank, double spectralEntropy, double outliers,
                              double bulkLower, double bulkUpper, String outlierRule) {
  /** Tukey multiplier of the bulk fences. */
  public static final double FENCE = 3.0;
  /** The outlier rule in words, as reports state it. */
  public static final String OUTLIER_RULE = "non-zero eigenvalues outside [Q1 - 3 IQR, Q3 + 3 IQR]";

  /**
   * From the full spectrum if given, else from SLQ.
   *
   * @param fullSpectrum every eigenvalue, or null
   * @param slq          an SLQ result, or null
   * @return the metrics, or null when both are null
   */
  public static SpectralMetrics of(double[] fullSpectrum, SlqResult slq) {
    if (fullSpectrum != null) return fromSpectrum(fullSpectrum);
    if (slq != null) return fromSlq(slq);
    return null;
  }

  /**
   * From every eigenvalue, with the default zero cut-off n·ε·max|λ|.
   *
   * @param eigenvalues the whole spectrum, non-empty
   * @return the metrics (source "full")
   */
  public static SpectralMetrics fromSpectrum(double[] eigenvalues) {
    return fromSpectrum(eigenvalues, Double.NaN);
  }

  /**
   * From every eigenvalue.
   *
   * @param eigenvalues the whole spectrum, non-empty
   * @param zeroCutoff  |λ| at or below it counts as zero; NaN for the default n·ε·max|λ|
   * @return the metrics (source "full")
   */
  public static SpectralMetrics fromSpectrum(double[] eigenvalues, double zeroCutoff) {
    Checks.notNull("eigenvalues", eigenvalues);
    if (eigenvalues.length == 0) throw new IllegalArgumentException("eigenvalues must not be empty");
    double[] c = new double[eigenvalues.length];
    Arrays.fill(c, 1.0);
    return compute("full", eigenvalues.length, eigenvalues.clone(), c, zeroCutoff);
  }

  /**
   * From SLQ's nodes and weights, with the default zero cut-off.
   *
   * @param slq the quadrature, with at least one node
   * @return the metrics (source "slq")
   */
  public static SpectralMetrics fromSlq(SlqResult slq) {
    return fromSlq(slq, Double.NaN);
  }

  /**
   * From SLQ's nodes and weights (node θ_i of probe p counts as n·τ_i/n_v eigenvalues).
   *
   * @param slq        the quadrature, with at least one node
   * @param zeroCutoff |λ| at or below it counts as zero; NaN for the default
   * @return the metrics (source "slq")
   */
  public static SpectralMetrics fromSlq(SlqResult slq, double zeroCutoff) {
    Checks.notNull("slq", slq);
    int total = 0;
    for (double[] t : slq.nodes()) total += t.length;
    if (total == 0) throw new IllegalArgumentException("slq must contain at least one node");
    double[] th = new double[total];
    double[] c = new double[total];
    int k = 0;
    double per = (double) slq.n() / slq.probes();
    for (int p = 0; p < slq.probes(); p++) {
      for (int i = 0; i < slq.nodes()[p].length; i++) {
        th[k] = slq.nodes()[p][i];
        c[k++] = per * slq.weights()[p][i];
      }
    }
    return compute("slq", slq.n(), th, c, zeroCutoff);
  }

  private static SpectralMetrics compute(String source, int n, double[] th, double[] c, double cutoffIn) {
    for (double v : th) {
      if (!Double.isFinite(v)) throw new IllegalArgumentException("eigenvalues must be finite, got " + v);
    }
    double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY, absMax = 0;
    for (double v : th) {
      max = Math.max(max, v);
      min = Math.min(min, v);
      absMax = Math.max(absMax, Math.abs(v));
    }
    double cutoff = Double.isNaN(cutoffIn) ? n * Math.ulp(1.0) * absMax : cutoffIn;
    if (!(cutoff >= 0)) throw new IllegalArgumentException("zeroCutoff must be >= 0 or NaN (default), got " + cutoffIn);
    double trace = 0, absSum = 0, sq = 0, negCount = 0, negAbs = 0;
    double minAbsAbove = Double.POSITIVE_INFINITY, minPosAbove = Double.POSITIVE_INFINITY;
    for (int i = 0; i < th.length; i++) {
      double v = th[i], a = Math.abs(v), w = c[i];
      if (w == 0) continue;
      trace += w * v;
      absSum += w * a;
      sq += w * v * v;
      if (v < -cutoff) {
        negCount += w;
        negAbs += w * a;
      }
      if (a > cutoff) minAbsAbove = Math.min(minAbsAbove, a);
      if (v > cutoff) minPosAbove = Math.min(minPosAbove, v);
    }
    double cond = Double.isInfinite(minAbsAbove) ? Double.NaN : absMax / minAbsAbove;
    double condPos = Double.isInfinite(minPosAbove) ? Double.NaN : max / minPosAbove;
    double entropy = 0;
    if (absSum > 0) {
      for (int i = 0; i < th.length; i++) {
        double p = Math.abs(th[i]) / absSum;
        if (p > 0 && c[i] > 0) entropy -= c[i] * p * Math.log(p);
      }
    }
    double erank = absSum > 0 ? Math.exp(entropy) : 0.0;
    double stable = absMax > 0 ? sq / (absMax * absMax) : 0.0;
    double negMass = absSum > 0 ? negAbs / absSum : 0.0;

    // Bulk fences from multiplicity-weighted quartiles of the non-zero eigenvalues.
    int m = 0;
    for (int i = 0; i < th.length; i++) if (Math.abs(th[i]) > cutoff && c[i] > 0) m++;
    double lower = Double.NaN, upper = Double.NaN, outliers = 0;
    if (m > 0) {
      double[][] pairs = new double[m][];
      int k = 0;
      for (int i = 0; i < th.length; i++) if (Math.abs(th[i]) > cutoff && c[i] > 0) pairs[k++] = new double[] {th[i], c[i]};
      Arrays.sort(pairs, (x, y) -> Double.compare(x[0], y[0]));
      double q1 = quantile(pairs, 0.25), q3 = quantile(pairs, 0.75), iqr = q3 - q1;
      lower = q1 - FENCE * iqr;
      upper = q3 + FENCE * iqr;
      for (double[] pr : pairs) if (pr[0] < lower || pr[0] > upper) outliers += pr[1];
    }
    return new SpectralMetrics(source, n, cutoff, max, min, trace, cond, condPos, negCount, negCount / n, negMass,
        erank, stable, entropy, outliers, lower, upper, OUTLIER_RULE);
  }

  // Weighted quantile: the smallest value whose cumulative weight reaches q of the total.
  private static double quantile(double[][] sorted, double q) {
    double total = 0;
    for (double[] p : sorted) total += p[1];
    double cum = 0;
    for (double[] p : sorted) {
      cum += p[1];
      if (cum >= q * total * (1 - 1e-12)) return p[0];
    }
    return sorted[sorted.length - 1][0];
  }
}
