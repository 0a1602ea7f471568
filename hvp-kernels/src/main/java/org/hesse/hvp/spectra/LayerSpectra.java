package org.hesse.hvp.spectra;

import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.SpectralMetrics;
import org.hesse.eigen.TraceEstimate;

/**
 * The spectra of one layer's curvature block, each value with where it came from. Every eigenvalue and the trace
 * are finite ({@link LayerSpectraEngine} throws {@link NonFiniteSpectrumException} otherwise); other values are NaN
 * where undefined (e.g. a condition number without a non-zero eigenvalue). {@link SpectraJson#layer} writes the
 * report object of {@code hesse spectrum}.
 *
 * @param name              the layer's index, as a string
 * @param type              the layer's type, e.g. {@code "dense"}
 * @param params            the block's dimension (the layer's parameter count)
 * @param trace             the trace
 * @param top               the largest eigenvalues, descending
 * @param bottom            the smallest eigenvalues, ascending
 * @param eigenvalues       the whole spectrum, ascending, when it is known ({@code dense} or {@code structure}); else null
 * @param eigenvaluesSource "dense" (LAPACK on the materialised block), "structure" (e.g. back-matching's eig(C)) or null
 * @param eigenvaluesListed whether the whole spectrum was asked for ({@link SpectraOptions#full}) and so is reported
 * @param lambdaMax         the largest eigenvalue and its source
 * @param lambdaMin         the smallest eigenvalue and its source
 * @param metrics           metrics of the whole spectrum or of SLQ; null when neither is available
 * @param metricsSource     {@code eigenvaluesSource} or "slq"; null with no metrics
 * @param density           the SLQ density; null when not asked for or when the whole spectrum is known
 * @param topVectors        orthonormal eigenvectors of {@code top} (same order), when computed; else null
 * @param gradientOverlapTop ‖Vᵀ g‖² / ‖g‖² of the layer's gradient g over {@code topVectors} (NaN when g = 0);
 *                          null without top vectors
 */
public record LayerSpectra(String name, String type, int params, TraceValue trace, End top, End bottom,
                           double[] eigenvalues, String eigenvaluesSource, boolean eigenvaluesListed,
                           Extreme lambdaMax, Extreme lambdaMin, SpectralMetrics metrics, String metricsSource,
                           Density density, double[][] topVectors, Double gradientOverlapTop) {
  /**
   * The trace of the block.
   *
   * @param value    the trace (exact, or the estimate)
   * @param source   "dense"/"structure" (sum of the whole spectrum) or the estimator's method, e.g. "hutch++"
   * @param estimate the stochastic estimate with its standard error and applications; null when exact
   */
  public record TraceValue(double value, String source, TraceEstimate estimate) {}

  /**
   * One end of the spectrum.
   *
   * @param values    the eigenvalues (top: descending; bottom: ascending); empty when none were asked for
   * @param arpack    the ARPACK run that gave them; null when they come from the whole spectrum or were not asked for
   * @param residuals ‖A v − λ v‖ of each pair, in the order of {@code values} (residual j belongs to value j); null without arpack
   */
  public record End(double[] values, ArpackResult arpack, double[] residuals) {}

  /**
   * An extreme eigenvalue: exact from the whole spectrum, else ARPACK's converged Ritz value, else SLQ's extreme
   * node (which lies inside the spectrum and so under-estimates |λ|).
   *
   * @param value  the eigenvalue (NaN when unknown)
   * @param source the whole spectrum's source, "arpack", "slq", or null when unknown
   */
  public record Extreme(double value, String source) {}

  /**
   * The spectral density by stochastic Lanczos quadrature.
   *
   * @param slq   the quadrature (nodes, weights, steps, probes, applications)
   * @param curve the Gaussian-smoothed density on its grid
   */
  public record Density(SlqResult slq, SlqResult.Density curve) {}
}
