package org.hesse.hvp.spectra;

import org.hesse.eigen.Arpack;

/**
 * What {@link LayerSpectraEngine} computes per layer; {@link #defaults()} are those of {@code hesse spectrum}.
 *
 * @param curvature     which curvature's blocks
 * @param top           largest eigenvalues per layer (0: none)
 * @param bottom        smallest eigenvalues per layer (0: none)
 * @param full          every eigenvalue by dense LAPACK (within the memory budget), listed in the result
 * @param density       the spectral density by stochastic Lanczos quadrature (when the whole spectrum is not known)
 * @param vectors       with {@code full}, keep the top eigenvectors (the ARPACK path always keeps them)
 * @param slqSteps      Lanczos steps per SLQ probe (at most the block's dimension are taken)
 * @param slqProbes     SLQ probe vectors
 * @param densityPoints grid points of the smoothed density
 * @param hutchBudget   operator applications of the Hutch++ trace estimate (at most 3·⌊p/3⌋)
 * @param tol           ARPACK's relative tolerance (0: machine precision)
 * @param seed          seed of ARPACK's start vector and of the Hutch++ and SLQ probes
 * @param ncv           ARPACK's Lanczos vectors (0: its default min(p, max(2k + 1, 20)); doubled on a restart)
 * @param maxIterations ARPACK's limit on implicit restarts
 */
public record SpectraOptions(CurvatureKind curvature, int top, int bottom, boolean full, boolean density,
                             boolean vectors, int slqSteps, int slqProbes, int densityPoints, int hutchBudget,
                             double tol, long seed, int ncv, int maxIterations) {
  /**
   * Checks the options (the messages name the command-line options, which the front ends pass on).
   *
   * @param curvature as {@link #curvature()}
   * @param top as {@link #top()}
   * @param bottom as {@link #bottom()}
   * @param full as {@link #full()}
   * @param density as {@link #density()}
   * @param vectors as {@link #vectors()}
   * @param slqSteps as {@link #slqSteps()}
   * @param slqProbes as {@link #slqProbes()}
   * @param densityPoints as {@link #densityPoints()}
   * @param hutchBudget as {@link #hutchBudget()}
   * @param tol as {@link #tol()}
   * @param seed as {@link #seed()}
   * @param ncv as {@link #ncv()}
   * @param maxIterations as {@link #maxIterations()}
   * @throws IllegalArgumentException when curvature is null, top or bottom is negative, slqSteps or slqProbes is
   *                                  below 1, tol is negative or NaN, ncv is negative or at most top or bottom, or
   *                                  maxIterations is below 1
   */
  public SpectraOptions {
    if (curvature == null) throw new IllegalArgumentException("--curvature: expected one of " + CurvatureKind.ids() + ", got null");
    if (top < 0 || bottom < 0) throw new IllegalArgumentException("--top and --bottom must be >= 0");
    if (slqSteps < 1) throw new IllegalArgumentException("--slq-steps: expected >= 1, got " + slqSteps);
    if (slqProbes < 1) throw new IllegalArgumentException("--slq-probes: expected >= 1, got " + slqProbes);
    if (!(tol >= 0)) throw new IllegalArgumentException("--tol: expected >= 0 (0 = machine precision), got " + tol);
    if (ncv != 0 && ncv <= Math.max(top, bottom)) {
      throw new IllegalArgumentException("--ncv: expected 0 (default) or more than --top and --bottom (" + Math.max(top, bottom)
          + "), got " + ncv);
    }
    if (maxIterations < 1) throw new IllegalArgumentException("--max-iterations: expected >= 1, got " + maxIterations);
  }

  /**
   * Options with ARPACK's default ncv and {@link Arpack#DEFAULT_MAX_ITERATIONS}.
   *
   * @param curvature as {@link #curvature()}
   * @param top as {@link #top()}
   * @param bottom as {@link #bottom()}
   * @param full as {@link #full()}
   * @param density as {@link #density()}
   * @param vectors as {@link #vectors()}
   * @param slqSteps as {@link #slqSteps()}
   * @param slqProbes as {@link #slqProbes()}
   * @param densityPoints as {@link #densityPoints()}
   * @param hutchBudget as {@link #hutchBudget()}
   * @param tol as {@link #tol()}
   * @param seed as {@link #seed()}
   */
  public SpectraOptions(CurvatureKind curvature, int top, int bottom, boolean full, boolean density, boolean vectors,
                        int slqSteps, int slqProbes, int densityPoints, int hutchBudget, double tol, long seed) {
    this(curvature, top, bottom, full, density, vectors, slqSteps, slqProbes, densityPoints, hutchBudget, tol, seed, 0,
        Arpack.DEFAULT_MAX_ITERATIONS);
  }

  /**
   * The defaults of {@code hesse spectrum}.
   *
   * @return Hessian, top 5, no bottom, no full spectrum, no density; 90 SLQ steps, 10 probes, 200 points; Hutch++
   *         budget 30; tol 1e-8; seed 0
   */
  public static SpectraOptions defaults() {
    return new SpectraOptions(CurvatureKind.HESSIAN, 5, 0, false, false, false, 90, 10, 200, 30, 1e-8, 0);
  }
}
