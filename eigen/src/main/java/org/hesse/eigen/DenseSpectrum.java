package org.hesse.eigen;

/**
 * Eigenvalues of a dense symmetric matrix in ascending order, with eigenvectors when asked for: vector j is
 * {@code eigenvectors[j·n .. j·n + n)} (n × m column-major), or null.
 */
public record DenseSpectrum(int n, double[] eigenvalues, double[] eigenvectors) {
  public int count() {
    return eigenvalues.length;
  }

  /** Copy of eigenvector j (0-based, same order as the eigenvalues). */
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
