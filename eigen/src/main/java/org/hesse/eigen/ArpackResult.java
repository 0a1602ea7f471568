package org.hesse.eigen;

/**
 * The outcome of an ARPACK solve. Eigenvalues are in ascending algebraic order whatever {@link Which} was
 * asked for (as dseupd returns them); eigenvector j is {@code eigenvectors[j·n .. j·n + n)} or null when not
 * requested. When fewer than the requested k converged, only the converged pairs are returned and
 * {@link #complete()} is false; {@link #message()} then says why.
 *
 * @param method       "arpack", "dense-fallback (reason)" when the problem was too small for ARPACK, or "dense" when
 *                     {@link SpectrumEnds} solved it densely by choice
 * @param requested    k asked for
 * @param converged    number converged (ARPACK's iparam[4]); equals eigenvalues.length
 * @param applications operator applications (ARPACK's iparam[8], or n for the dense fallback)
 * @param iterations   implicit restarts performed (ARPACK's iparam[2] on exit; 0 for the fallback)
 * @param info         ARPACK's info from dsaupd (or dseupd when that failed); 0 is success
 * @param message      info in words
 */
public record ArpackResult(int n, Which which, String method, int requested, int converged, double[] eigenvalues,
                           double[] eigenvectors, long applications, int iterations, int info, String message,
                           String backend) {
  /**
   * Whether every requested eigenpair converged.
   *
   * @return converged &gt;= requested
   */
  public boolean complete() {
    return converged >= requested;
  }

  /**
   * Eigenvector j (of eigenvalue j, ascending order).
   *
   * @param j index in [0, converged)
   * @return a copy, length n
   * @throws IllegalStateException when eigenvectors were not requested
   */
  public double[] eigenvector(int j) {
    if (eigenvectors == null) throw new IllegalStateException("eigenvectors were not requested");
    if (j < 0 || j >= eigenvalues.length) {
      throw new IllegalArgumentException("j must be in [0, " + eigenvalues.length + "), got " + j);
    }
    double[] v = new double[n];
    System.arraycopy(eigenvectors, j * n, v, 0, n);
    return v;
  }

  /**
   * ‖A v_j − λ_j v_j‖ for every returned pair (costs one application each).
   *
   * @param op the operator that was solved (dimension n)
   * @return the residual norms, in the eigenvalues' order
   * @throws IllegalStateException when eigenvectors were not requested
   */
  public double[] residuals(LinearOperator op) {
    if (eigenvectors == null) throw new IllegalStateException("eigenvectors were not requested");
    if (op.dim() != n) throw new IllegalArgumentException("op.dim() must be " + n + ", got " + op.dim());
    int k = eigenvalues.length;
    double[] out = new double[k];
    if (k == 0) return out;
    // one blocked product for all pairs (eigenvectors are stored as k consecutive vectors, applyMany's layout)
    double[] y = new double[k * n];
    op.applyMany(eigenvectors, y, k);
    return residuals(y);
  }

  /**
   * ‖A v_j − λ_j v_j‖ of each pair from the products A v_j, already computed.
   *
   * @param y A·v_j for every eigenvector, k consecutive blocks of n (applyMany's layout)
   * @return the residual norms, in the eigenvalues' order
   * @throws IllegalStateException when eigenvectors were not requested
   */
  public double[] residuals(double[] y) {
    if (eigenvectors == null) throw new IllegalStateException("eigenvectors were not requested");
    int k = eigenvalues.length;
    Checks.length("y", y, (long) k * n);
    double[] out = new double[k];
    for (int j = 0; j < k; j++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        double r = y[j * n + i] - eigenvalues[j] * eigenvectors[j * n + i];
        s += r * r;
      }
      out[j] = Math.sqrt(s);
    }
    return out;
  }

}
