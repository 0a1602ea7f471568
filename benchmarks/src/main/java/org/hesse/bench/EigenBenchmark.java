package org.hesse.bench;

import dev.ludovic.netlib.blas.BLAS;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.hesse.eigen.Arpack;
import org.hesse.eigen.ArpackResult;
import org.hesse.eigen.DenseOperator;
import org.hesse.eigen.LinearOperator;
import org.hesse.eigen.PowerIteration;
import org.hesse.eigen.Slq;
import org.hesse.eigen.SlqResult;
import org.hesse.eigen.Which;
import org.hesse.linalg.Gemm;
import org.hesse.linalg.Linalg;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ARPACK top-5 vs power iteration with deflation, both run until every residual ‖Av − λv‖ ≤ 1e-6·‖A‖, and the
 * cost of SLQ (90 steps × 10 probes) per operator application.
 *
 * <p>Spectrum (Hessian-like): a Marchenko–Pastur bulk XᵀX/m with X m × n Gaussian, n = 2000, m = 4000 (ratio ½,
 * bulk in [0.086, 2.91]), plus five outliers θ = 12, 10, 8, 6, 4.5 along random orthonormal directions
 * (eigenvalues ≈ θ + O(1) after the interaction with the bulk). "dense" applies the assembled 2000 × 2000 matrix
 * (dgemv); "matrixFree" applies Xᵀ(Xv)/m + U diag(θ) Uᵀv without forming it (about 4× the flops).
 *
 * <p>Operator applications are printed once per fork by the setup (they do not vary between iterations):
 * look for the "EIGEN-APPLICATIONS" line.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
public class EigenBenchmark {
  static final int N = 2000;
  static final int M = 4000;
  static final double[] OUTLIERS = {12, 10, 8, 6, 4.5};
  static final double RESIDUAL = 1e-6;

  @Param({"dense", "matrixFree"})
  public String operator;

  LinearOperator op;
  double normA;
  double[] x = new double[N];
  double[] y = new double[N];

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom r = new SplittableRandom(2026);
    double[] xs = new double[M * N];
    for (int i = 0; i < xs.length; i++) xs[i] = gaussian(r);
    double[] u = new double[OUTLIERS.length * N]; // rows u_j, orthonormalised
    for (int i = 0; i < u.length; i++) u[i] = gaussian(r);
    for (int j = 0; j < OUTLIERS.length; j++) {
      for (int i = 0; i < j; i++) {
        double d = dot(u, i * N, u, j * N);
        for (int t = 0; t < N; t++) u[j * N + t] -= d * u[i * N + t];
      }
      double nrm = Math.sqrt(dot(u, j * N, u, j * N));
      for (int t = 0; t < N; t++) u[j * N + t] /= nrm;
    }
    if (operator.equals("dense")) {
      double[] a = new double[N * N];
      Gemm.gemm(true, false, N, N, M, 1.0 / M, xs, xs, 0.0, a); // XᵀX/m
      for (int j = 0; j < OUTLIERS.length; j++) {
        for (int p = 0; p < N; p++) {
          double s = OUTLIERS[j] * u[j * N + p];
          for (int q = 0; q < N; q++) a[p * N + q] += s * u[j * N + q];
        }
      }
      for (int p = 0; p < N; p++) { // exact symmetry (dgemm rounding differs between the triangles)
        for (int q = p + 1; q < N; q++) {
          double s = 0.5 * (a[p * N + q] + a[q * N + p]);
          a[p * N + q] = s;
          a[q * N + p] = s;
        }
      }
      op = new DenseOperator(a, N);
    } else {
      op = new MatrixFree(xs, u, Linalg.blas());
    }
    ArpackResult ar = arpack();
    normA = Math.abs(ar.eigenvalues()[ar.eigenvalues().length - 1]);
    PowerIteration.Result pr = power();
    double arMax = max(ar.residuals(op)), prMax = maxResidual(pr);
    System.out.printf("%nEIGEN-APPLICATIONS operator=%s ||A||=%.4f ARPACK=%d (complete=%b, max residual/||A||=%.2e)"
            + " power=%d (complete=%b, max residual/||A||=%.2e) ratio=%.2f; eigenvalues ARPACK %s power %s%n",
        operator, normA, ar.applications(), ar.complete(), arMax / normA, pr.applications(), pr.complete(),
        prMax / normA, (double) pr.applications() / ar.applications(), java.util.Arrays.toString(ar.eigenvalues()),
        java.util.Arrays.toString(pr.eigenvalues()));
    for (int i = 0; i < N; i++) x[i] = gaussian(r);
  }

  ArpackResult arpack() {
    // ARPACK's test is ‖r‖ ≤ tol·|λ| ≤ tol·‖A‖.
    return Arpack.request(5).which(Which.LA).tol(RESIDUAL).seed(1).solve(op);
  }

  PowerIteration.Result power() {
    return PowerIteration.run(op, 5, 100_000, RESIDUAL, PowerIteration.Stop.RESIDUAL, normA, 1);
  }

  @Benchmark
  public ArpackResult arpackTop5() {
    return arpack();
  }

  @Benchmark
  public PowerIteration.Result powerIterationTop5() {
    return power();
  }

  /** 900 applications plus full re-orthogonalisation; divide by 900 and compare with applyOnce. */
  @Benchmark
  public SlqResult slq90x10() {
    return Slq.run(op, 90, 10, 7);
  }

  @Benchmark
  public double[] applyOnce() {
    op.apply(x, y);
    return y;
  }

  double maxResidual(PowerIteration.Result pr) {
    double m = 0;
    double[] v = new double[N], av = new double[N];
    for (int j = 0; j < pr.eigenvalues().length; j++) {
      System.arraycopy(pr.eigenvectors(), j * N, v, 0, N);
      op.apply(v, av);
      double s = 0;
      for (int i = 0; i < N; i++) s += Math.pow(av[i] - pr.eigenvalues()[j] * v[i], 2);
      m = Math.max(m, Math.sqrt(s));
    }
    return m;
  }

  static double max(double[] a) {
    double m = 0;
    for (double v : a) m = Math.max(m, v);
    return m;
  }

  static double dot(double[] a, int ao, double[] b, int bo) {
    double s = 0;
    for (int i = 0; i < N; i++) s += a[ao + i] * b[bo + i];
    return s;
  }

  static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /** Xᵀ(Xv)/m + U diag(θ) Uᵀ v, never formed. */
  static final class MatrixFree implements LinearOperator {
    final double[] xs;
    final double[] u;
    final BLAS blas;
    final double[] t = new double[M];
    final double[] c = new double[OUTLIERS.length];

    MatrixFree(double[] xs, double[] u, BLAS blas) {
      this.xs = xs;
      this.u = u;
      this.blas = blas;
    }

    @Override
    public int dim() {
      return N;
    }

    @Override
    public void apply(double[] v, double[] y) {
      int k = OUTLIERS.length;
      blas.dgemv("T", N, M, 1.0, xs, N, v, 1, 0.0, t, 1); // t = X v (X row-major m × n)
      blas.dgemv("N", N, M, 1.0 / M, xs, N, t, 1, 0.0, y, 1); // y = Xᵀ t / m
      blas.dgemv("T", N, k, 1.0, u, N, v, 1, 0.0, c, 1); // c = U v (U rows u_j)
      for (int j = 0; j < k; j++) c[j] *= OUTLIERS[j];
      blas.dgemv("N", N, k, 1.0, u, N, c, 1, 1.0, y, 1); // y += Uᵀ c
    }
  }
}
