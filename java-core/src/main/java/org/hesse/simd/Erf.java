package org.hesse.simd;

/**
 * Error function to double precision (Java has none). |x| &lt; 3: the all-positive Kummer series
 * erf(x) = 2x/√π · e^{−x²} Σ (2x²)ⁿ / (2n+1)!!, free of cancellation; |x| ≥ 3: the continued fraction of
 * erfc (Abramowitz &amp; Stegun 7.1.14), evaluated bottom-up. Tested against reference values to 1e-15.
 */
public final class Erf {
  private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
  private static final double INV_SQRT_PI = 0.5641895835477563;
  private static final int CONTINUED_FRACTION_TERMS = 80;

  private Erf() {}

  public static double erf(double x) {
    double ax = Math.abs(x);
    if (ax < 3.0) return erfSeries(x);
    if (Double.isNaN(x)) return x;
    double r = 1.0 - erfcTail(ax);
    return x < 0 ? -r : r;
  }

  public static double erfc(double x) {
    if (Double.isNaN(x)) return x;
    if (x >= 3.0) return erfcTail(x);
    if (x <= -3.0) return 2.0 - erfcTail(-x);
    return 1.0 - erfSeries(x);
  }

  private static double erfSeries(double x) {
    double x2 = x * x;
    double term = 1.0;
    double sum = 1.0;
    for (int n = 0; n < 200; n++) {
      term *= 2.0 * x2 / (2 * n + 3);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return TWO_OVER_SQRT_PI * x * Math.exp(-x2) * sum;
  }

  /** erfc(x) for x ≥ 3: e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
  private static double erfcTail(double x) {
    if (x > 27.3) return 0.0;
    double f = x;
    for (int k = CONTINUED_FRACTION_TERMS; k >= 1; k--) {
      f = x + (k * 0.5) / f;
    }
    return INV_SQRT_PI * Math.exp(-x * x) / f;
  }
}
