package org.hesse.eigen;

/**
 * Stochastic Lanczos quadrature output: per probe p, Gauss quadrature nodes θ (Ritz values, ascending) and
 * weights τ (squared first components of the tridiagonal's eigenvectors). <b>Normalisation:</b> each probe's
 * weights sum to 1, so probe p approximates the spectral measure seen from the unit vector v_p/‖v_p‖:
 * vᵀ f(A) v / ‖v‖² ≈ Σ τ f(θ). The spectral density (eigenvalue counts divided by n) is estimated by the
 * average of these measures over probes, and tr f(A) ≈ n · mean_p Σ τ f(θ) (Rademacher: ‖v‖² = n exactly).
 *
 * @param n            operator dimension
 * @param steps        requested Lanczos steps m
 * @param probeSteps   Lanczos steps actually taken per probe (&lt; m after a breakdown β ≈ 0)
 * @param nodes        nodes[p] ascending
 * @param weights      weights[p], summing to 1
 * @param applications operator applications in total
 * @param seed         probe seed (probe p is {@code Probes.probe(RADEMACHER, seed, p, n)})
 */
public record SlqResult(int n, int steps, int[] probeSteps, double[][] nodes, double[][] weights, long applications,
                        long seed) {
  /**
   * Number of probes.
   *
   * @return nodes.length
   */
  public int probes() {
    return nodes.length;
  }

  /**
   * The trace estimate n · mean_p Σ τ θ.
   *
   * @return the estimate of tr A
   */
  public double trace() {
    return n * mean(probeMoments(1));
  }

  /**
   * Standard error of {@link #trace()} over probes.
   *
   * @return the standard error (NaN with one probe)
   */
  public double traceStandardError() {
    double[] m = probeMoments(1);
    return n * stdError(m);
  }

  /**
   * Per-probe quadrature of θ^p: Σ τ θ^p, estimating vᵀAᵖv/‖v‖².
   *
   * @param p the power
   * @return one value per probe
   */
  public double[] probeMoments(int p) {
    double[] out = new double[nodes.length];
    for (int j = 0; j < nodes.length; j++) {
      double s = 0;
      for (int i = 0; i < nodes[j].length; i++) s += weights[j][i] * Math.pow(nodes[j][i], p);
      out[j] = s;
    }
    return out;
  }

  /**
   * The smallest node over all probes (inside the spectrum: at least λ_min).
   *
   * @return the node, or +∞ without nodes
   */
  public double minNode() {
    double m = Double.POSITIVE_INFINITY;
    for (double[] t : nodes) if (t.length > 0) m = Math.min(m, t[0]);
    return m;
  }

  /**
   * The largest node over all probes (inside the spectrum: at most λ_max).
   *
   * @return the node, or −∞ without nodes
   */
  public double maxNode() {
    double m = Double.NEGATIVE_INFINITY;
    for (double[] t : nodes) if (t.length > 0) m = Math.max(m, t[t.length - 1]);
    return m;
  }

  /**
   * Gaussian-broadened density on a grid: φ(t) = mean_p Σ τ · N(t; θ, σ²), integrating to 1. Changing σ needs
   * no new operator applications.
   *
   * @param grid  the points t
   * @param sigma the Gaussian width σ, &gt; 0
   * @return the density on the grid
   */
  public Density density(double[] grid, double sigma) {
    Checks.notNull("grid", grid);
    Checks.positive("sigma", sigma);
    double[] phi = new double[grid.length];
    double c = 1.0 / (nodes.length * sigma * Math.sqrt(2 * Math.PI));
    for (int p = 0; p < nodes.length; p++) {
      for (int i = 0; i < nodes[p].length; i++) {
        double th = nodes[p][i];
        double w = weights[p][i] * c;
        for (int g = 0; g < grid.length; g++) {
          double u = (grid[g] - th) / sigma;
          phi[g] += w * Math.exp(-0.5 * u * u);
        }
      }
    }
    return new Density(grid.clone(), phi, sigma);
  }

  /**
   * Density on {@code points} equally spaced points from minNode − 5σ to maxNode + 5σ.
   *
   * @param points number of grid points, &gt;= 2
   * @param sigma  the Gaussian width σ, &gt; 0
   * @return the density on that grid
   */
  public Density density(int points, double sigma) {
    Checks.positive("sigma", sigma);
    if (points < 2) throw new IllegalArgumentException("points must be >= 2, got " + points);
    double lo = minNode() - 5 * sigma;
    double hi = maxNode() + 5 * sigma;
    double[] grid = new double[points];
    for (int i = 0; i < points; i++) grid[i] = lo + (hi - lo) * i / (points - 1);
    return density(grid, sigma);
  }

  /**
   * A default width: 1% of the node range (PyHessian uses σ² = 1e-5 on a normalised range; stated, not
   * hidden: pass your own to {@link #density(double[], double)}).
   *
   * @return σ
   */
  public double defaultSigma() {
    double r = maxNode() - minNode();
    return r > 0 ? 0.01 * r : Math.max(1e-12, 0.01 * Math.abs(maxNode()));
  }

  /** A broadened density: values at grid points, with the Gaussian width sigma used. */
  public record Density(double[] grid, double[] values, double sigma) {}

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) s += v;
    return s / x.length;
  }

  static double stdError(double[] x) {
    if (x.length < 2) return Double.NaN;
    double m = mean(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return Math.sqrt(s / (x.length - 1) / x.length);
  }
}
