package org.hesse.hvp.interlayer;

import org.hesse.eigen.Probes;
import org.hesse.linalg.Linalg;
import org.netlib.util.intW;

/**
 * Norms of a rectangular block A (rows × cols) reached only through products: dense assembly with LAPACK's
 * singular values (exact), Hutchinson on AᵀA for ‖A‖_F² and power iteration on AᵀA for ‖A‖_2 (stochastic).
 */
public final class BlockNorms {
  /** Directions per pass when a block is assembled column by column (bounds the tangent buffers). */
  static final int DIRECTIONS_PER_PASS = 64;

  private BlockNorms() {}

  /** A rows × cols block: {@code y = A x} and the adjoint {@code x = Aᵀ y}, k vectors back to back. */
  public interface Block {
    int rows();

    int cols();

    void apply(double[] x, double[] y, int k);

    void applyTranspose(double[] y, double[] x, int k);
  }

  /** An estimate and its standard error (0 for an exact value). */
  public record Estimate(double value, double standardError) {
    public static Estimate exact(double v) {
      return new Estimate(v, 0);
    }
  }

  /** The block row-major, assembled from unit directions, {@value #DIRECTIONS_PER_PASS} per pass. */
  public static double[] dense(Block a) {
    int rows = a.rows();
    int cols = a.cols();
    double[] m = new double[rows * cols];
    int k = Math.max(1, Math.min(cols, DIRECTIONS_PER_PASS));
    double[] e = new double[k * cols];
    double[] y = new double[k * rows];
    for (int j0 = 0; j0 < cols; j0 += k) {
      int kk = Math.min(k, cols - j0);
      java.util.Arrays.fill(e, 0.0);
      for (int j = 0; j < kk; j++) e[j * cols + j0 + j] = 1;
      a.apply(e, y, kk);
      for (int j = 0; j < kk; j++) for (int i = 0; i < rows; i++) m[i * cols + j0 + j] = y[j * rows + i];
    }
    return m;
  }

  public static double frobeniusSquared(double[] m) {
    double s = 0;
    for (double x : m) s += x * x;
    return s;
  }

  /** Singular values, descending, by LAPACK dgesvd (row-major rows × cols is column-major cols × rows: same values). */
  public static double[] singularValues(double[] a, int rows, int cols) {
    if (rows == 0 || cols == 0) return new double[0];
    double[] m = a.clone();
    double[] s = new double[Math.min(rows, cols)];
    double[] query = new double[1];
    intW info = new intW(0);
    Linalg.lapack().dgesvd("N", "N", cols, rows, m, cols, s, new double[1], 1, new double[1], 1, query, -1, info);
    double[] work = new double[(int) query[0]];
    Linalg.lapack().dgesvd("N", "N", cols, rows, m, cols, s, new double[1], 1, new double[1], 1, work, work.length, info);
    if (info.val != 0) throw new ArithmeticException("dgesvd did not converge (info " + info.val + ")");
    return s;
  }

  /**
   * Hutchinson's estimate of {@code ‖A‖_F² = tr(AᵀA)}: the mean over K probes z (length cols) of {@code zᵀAᵀAz =
   * ‖Az‖²}, one product per probe. Its standard error is the sample standard deviation over √K. Analytically
   * (see {@link #hutchinsonVariance}) one probe's variance is {@code 2(‖M‖_F² − Σ M_ii²)} for Rademacher and
   * {@code 2‖M‖_F²} for Gaussian entries, M = AᵀA.
   */
  public static Estimate frobeniusSquared(Block a, Probes.Distribution d, int probes, long seed) {
    if (probes < 2) throw new IllegalArgumentException("probes: expected >= 2 (a standard error needs two), got " + probes);
    int rows = a.rows();
    int cols = a.cols();
    if (rows == 0 || cols == 0) return Estimate.exact(0);
    int k = Math.max(1, Math.min(probes, DIRECTIONS_PER_PASS));
    double[] z = new double[k * cols];
    double[] y = new double[k * rows];
    double[] probe = new double[cols];
    double sum = 0;
    double sumSq = 0;
    for (int p0 = 0; p0 < probes; p0 += k) {
      int kk = Math.min(k, probes - p0);
      for (int j = 0; j < kk; j++) {
        Probes.fill(d, seed, p0 + j, probe, cols);
        System.arraycopy(probe, 0, z, j * cols, cols);
      }
      a.apply(z, y, kk);
      for (int j = 0; j < kk; j++) {
        double q = 0;
        for (int i = 0; i < rows; i++) q += y[j * rows + i] * y[j * rows + i];
        sum += q;
        sumSq += q * q;
      }
    }
    double mean = sum / probes;
    double var = Math.max(0, (sumSq - probes * mean * mean) / (probes - 1));
    return new Estimate(mean, Math.sqrt(var / probes));
  }

  /** The variance of one probe's {@code zᵀMz} for M = AᵀA of the dense row-major block a (the analytic reference). */
  public static double hutchinsonVariance(double[] a, int rows, int cols, Probes.Distribution d) {
    double fro = 0;
    double diag = 0;
    for (int i = 0; i < cols; i++) {
      for (int j = 0; j < cols; j++) {
        double mij = 0;
        for (int r = 0; r < rows; r++) mij += a[r * cols + i] * a[r * cols + j];
        fro += mij * mij;
        if (i == j) diag += mij * mij;
      }
    }
    return d == Probes.Distribution.RADEMACHER ? 2 * (fro - diag) : 2 * fro;
  }

  /** ‖A‖_2 by power iteration on AᵀA, and the iterations it took. */
  public record PowerResult(double norm, int iterations, boolean converged) {}

  /**
   * Power iteration on AᵀA (one product and one adjoint product per step) from a seeded Gaussian start, until the
   * Rayleigh quotient changes by at most {@code tol} relatively; {@code ‖A‖_2 = √λ_max(AᵀA)}.
   */
  public static PowerResult spectralNorm(Block a, int maxIterations, double tol, long seed) {
    int rows = a.rows();
    int cols = a.cols();
    if (rows == 0 || cols == 0) return new PowerResult(0, 0, true);
    double[] x = new double[cols];
    double[] y = new double[rows];
    double[] z = new double[cols];
    Probes.fill(Probes.Distribution.GAUSSIAN, seed, 0, x, cols);
    normalise(x);
    double lambda = 0;
    for (int it = 1; it <= maxIterations; it++) {
      a.apply(x, y, 1);
      a.applyTranspose(y, z, 1);
      double next = 0;
      for (int i = 0; i < cols; i++) next += x[i] * z[i];  // xᵀAᵀAx = ‖Ax‖², x of unit length
      System.arraycopy(z, 0, x, 0, cols);
      if (normalise(x) == 0) return new PowerResult(0, it, true);
      if (Math.abs(next - lambda) <= tol * Math.abs(next)) return new PowerResult(Math.sqrt(next), it, true);
      lambda = next;
    }
    return new PowerResult(Math.sqrt(lambda), maxIterations, false);
  }

  private static double normalise(double[] x) {
    double s = 0;
    for (double v : x) s += v * v;
    s = Math.sqrt(s);
    if (s > 0) for (int i = 0; i < x.length; i++) x[i] /= s;
    return s;
  }
}
