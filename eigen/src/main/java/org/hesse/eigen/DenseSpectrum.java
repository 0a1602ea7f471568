package org.hesse.eigen;

/**
 * Eigenvalues of a dense symmetric matrix in ascending order, with eigenvectors when asked for: vector j is
 * {@code eigenvectors[j·n .. j·n + n)} (n × m column-major), or null.
 */
public record DenseSpectrum(int n, double[] eigenvalues, double[] eigenvectors) {
  /**
   * Number of eigenvalues computed.
   *
   * @return eigenvalues.length
   */
  public int count() {
    return eigenvalues.length;
  }

  /**
   * Eigenvector j (0-based, same order as the eigenvalues).
   *
   * @param j the index, in [0, count())
   * @return a copy, length n
   * @throws IllegalStateException when eigenvectors were not computed
   */
  public double[] eigenvector(int j) {
    if (eigenvectors == null) throw new IllegalStateException("eigenvectors were not computed");
    if (j < 0 || j >= eigenvalues.length) {
      throw new IllegalArgumentException("j must be in [0, " + eigenvalues.length + "), got " + j);
    }
    double[] v = new double[n];
    System.arraycopy(eigenvectors, j * n, v, 0, n);
    return v;
  }
}
